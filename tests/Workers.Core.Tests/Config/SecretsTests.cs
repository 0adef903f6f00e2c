using Workers.Core.Config;

namespace Workers.Core.Tests.Config;

public sealed class SecretsTests
{
    [Fact]
    public void Redact_AValueExpandedFromTheEnvironment_IsNeverEchoed()
    {
        var secret = "pw-" + Guid.NewGuid().ToString("N");
        var yaml = "kind: destination\nspec:\n  name: d\n  path: sqlite\n  spec:\n    batch_size: ${WORKERS_TEST_SECRET}\n";

        var config = ConfigLoader.Parse(yaml, "x.yml", name => name == "WORKERS_TEST_SECRET" ? secret : null);
        var error = Assert.Throws<ConfigException>(() => SpecBinder.Bind<global::Workers.Destinations.Sqlite.SqliteSpec>(config.Destinations[0].Spec, config.Destinations[0].Location));

        Assert.Contains(secret, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, Secrets.Redact(error.Message), StringComparison.Ordinal);
        Assert.Contains("spec.spec.batch_size: must be an integer, got '***'", Secrets.Redact(error.Message), StringComparison.Ordinal);
    }

    [Fact]
    public void Redact_ADeadLetterReason_HidesTheSecret()
    {
        var secret = "Password=" + Guid.NewGuid().ToString("N");
        EnvExpander.Expand("${S}", _ => secret, "x.yml");

        var reason = Messaging.Consuming.DeliveryFailure.Reason(new InvalidOperationException($"cannot connect with '{secret}'"));

        Assert.Equal("write failed: cannot connect with '***'", reason);
    }

    [Fact]
    public void Redact_ShortValues_AreLeftAlone()
    {
        EnvExpander.Expand("${S}", _ => "on", "x.yml");

        Assert.Equal("turn it on", Secrets.Redact("turn it on"));
    }

    [Fact]
    public void Redact_APolicyWordFromTheEnvironment_StaysReadable_ASecretBesideItDoesNot()
    {
        var mode = "mode-" + Guid.NewGuid().ToString("N");
        var password = "pw-" + Guid.NewGuid().ToString("N");
        var yaml = "kind: destination\nspec:\n  name: d\n  migrate_mode: ${MODE}   # from the deployment\n  spec:\n    connection_string: ${PW}\n";

        EnvExpander.Expand(yaml, name => name == "MODE" ? mode : password, "x.yml");

        Assert.Equal($"migrate_mode: {mode} may not apply", Secrets.Redact($"migrate_mode: {mode} may not apply"));
        Assert.Equal("cannot connect with ***", Secrets.Redact($"cannot connect with {password}"));
    }

    [Fact]
    public void Redact_APolicyFieldWithMoreThanTheVariable_IsStillTreatedAsSecret()
    {
        var value = "v-" + Guid.NewGuid().ToString("N");

        EnvExpander.Expand("  path: ${P}/suffix\n", _ => value, "x.yml");

        Assert.Equal("***", Secrets.Redact(value));
    }
}
