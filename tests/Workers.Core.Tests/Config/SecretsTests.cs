using Workers.Core.Config;

namespace Workers.Core.Tests.Config;

public sealed class SecretsTests
{
    static string Unique(string prefix) => prefix + Guid.NewGuid().ToString("N")[..12];

    static void FromEnvironment(string key, string value) => EnvExpander.ExpandValue("${S}", key, _ => value, "x.yml");

    [Fact]
    public void Redact_AValueExpandedFromTheEnvironment_IsNeverEchoed()
    {
        var secret = Unique("pw-");
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
        FromEnvironment("connection_string", secret);

        var reason = Messaging.Consuming.DeliveryFailure.Reason(new InvalidOperationException($"cannot connect with '{secret}'"));

        Assert.Equal("write failed: cannot connect with '***'", reason);
    }

    [Fact]
    public void Redact_ShortValues_AreLeftAlone()
    {
        FromEnvironment("x", "on");

        Assert.Equal("turn it on", Secrets.Redact("turn it on"));
    }

    [Fact]
    public void Redact_APolicyWordFromTheEnvironment_StaysReadable_ASecretBesideItDoesNot()
    {
        var mode = Unique("mode-");
        var password = Unique("pw-");
        var yaml = "kind: destination\nspec:\n  name: d\n  path: sqlite\n  migrate_mode: ${MODE}   # from the deployment\n  spec:\n    connection_string: ${PW}\n";

        Assert.Throws<ConfigException>(() => ConfigLoader.Parse(yaml, "x.yml", name => name == "MODE" ? mode : password));

        Assert.Equal($"migrate_mode: {mode} may not apply", Secrets.Redact($"migrate_mode: {mode} may not apply"));
        Assert.Equal("cannot connect with ***", Secrets.Redact($"cannot connect with {password}"));
    }

    [Fact]
    public void Redact_APolicyFieldWithMoreThanTheVariable_IsStillTreatedAsSecret()
    {
        var value = Unique("v-");

        EnvExpander.ExpandValue("${P}/suffix", "path", _ => value, "x.yml");

        Assert.Equal("***", Secrets.Redact(value));
    }

    [Theory]
    [InlineData("postgres://app:{0}@db:5432/app?sslmode=disable")]
    [InlineData("postgresql://app:{0}@db1:5432,db2:5433/app")]
    [InlineData("user=app password={0} host=db dbname=app")]
    [InlineData("user=app password='{0}' host=db dbname=app")]
    [InlineData("Host=db;Username=app;Password={0};Database=app")]
    [InlineData("Host=db;Password=\"{0}\";Database=app")]
    [InlineData("amqp://app:{0}@rabbit:5672/vhost")]
    [InlineData("DefaultEndpointsProtocol=https;AccountName=a;AccountKey={0};EndpointSuffix=core.windows.net")]
    public void Redact_APasswordInsideAConnectionString_IsHiddenWhenPrintedAlone(string form)
    {
        var password = Unique("Pw");
        FromEnvironment("connection_string", string.Format(System.Globalization.CultureInfo.InvariantCulture, form, password));

        Assert.Equal("password was *** here", Secrets.Redact($"password was {password} here"));
    }

    [Fact]
    public void Redact_ALowerCasedPassword_IsHidden()
    {
        var password = Unique("MiXeD");
        FromEnvironment("connection_string", $"postgres://u:{password}@h/db");

        // Npgsql lower-cases the text it cannot parse before repeating it.
        Assert.Equal("keyword not supported: '***' (password ***)", Secrets.Redact($"Keyword not supported: 'postgres://u:{password}@h/db' (password {password})".ToLowerInvariant()));
    }

    [Fact]
    public void Redact_APercentEncodedPassword_IsHiddenDecodedAndEncoded()
    {
        var core = Unique("p");
        FromEnvironment("connection_string", $"postgres://u:{core}%40%2F%20x@h/db");

        Assert.Equal("decoded *** encoded *** form ***", Secrets.Redact($"decoded {core}@/ x encoded {core}%40%2F%20x form {core}%40%2F+x"));
    }

    [Fact]
    public void Redact_ALiteralPasswordInAFile_IsHiddenThoughNoVariableCarriedIt()
    {
        var password = Unique("lit");
        var yaml = $"kind: destination\nspec:\n  name: d\n  path: postgresql\n  spec:\n    connection_string: \"user=u password={password} host=h dbname=db\"\n";

        ConfigLoader.Parse(yaml, "x.yml", _ => null);

        Assert.Equal("auth failed for ***", Secrets.Redact($"auth failed for {password}"));
    }

    [Fact]
    public void Redact_ALiteralSqliteFileName_StaysReadable()
    {
        var file = Unique("./data-") + ".db";

        ConfigLoader.Parse($"kind: destination\nspec:\n  name: d\n  path: sqlite\n  spec:\n    connection_string: {file}\n", "x.yml", _ => null);

        Assert.Equal($"cannot open {file}", Secrets.Redact($"cannot open {file}"));
    }
}
