using Npgsql;
using Workers.Destinations.PostgreSql;

namespace Workers.Core.Tests.PostgreSql;

/// <summary>The forms CloudQuery's PostgreSQL docs show (their shapes, our values), and how each is broken.</summary>
public sealed class PostgreSqlConnectionStringTests
{
    static NpgsqlConnectionStringBuilder Translate(string text) => new(PostgreSqlConnectionString.ToNpgsql(text));

    [Fact]
    public void KeyValue_TheDocsDsnWithSpecialCharactersInThePassword_KeepsThePasswordWhole()
    {
        var b = Translate("user=ledger password=k3y+9-]pass host=db.internal port=6432 dbname=ledger sslmode=disable");

        Assert.Equal("ledger", b.Username);
        Assert.Equal("k3y+9-]pass", b.Password);
        Assert.Equal("db.internal", b.Host);
        Assert.Equal(6432, b.Port);
        Assert.Equal("ledger", b.Database);
        Assert.Equal(SslMode.Disable, b.SslMode);
    }

    [Fact]
    public void Uri_WithSslModePrefer_MapsEveryPart()
    {
        var b = Translate("postgres://ledger:s3cr3t@db.internal:6432/ledger?sslmode=prefer");

        Assert.Equal(("ledger", "s3cr3t", "db.internal", 6432, "ledger", SslMode.Prefer), (b.Username, b.Password, b.Host, b.Port, b.Database, b.SslMode));
    }

    [Fact]
    public void Uri_WithEveryOptionTheDocsShow_MapsEachToNpgsql()
    {
        var b = Translate("postgresql://ledger:s3cr3t@localhost:5432/ledger?sslmode=require&application_name=nightly+sync&search_path=reporting&connect_timeout=7");

        Assert.Equal(SslMode.Require, b.SslMode);
        Assert.Equal("nightly sync", b.ApplicationName);
        Assert.Equal("reporting", b.SearchPath);
        Assert.Equal(7, b.Timeout);
    }

    [Fact]
    public void Uri_WithoutUserInfo_LeavesTheUserToTheDefaults()
    {
        var b = Translate("postgres://localhost:5432/ledger?sslmode=disable");

        Assert.Null(b.Username);
        Assert.Null(b.Password);
        Assert.Equal("ledger", b.Database);
    }

    [Fact]
    public void Uri_WithASocketDirectoryInTheQuery_ConnectsThroughTheSocket()
    {
        var b = Translate("postgres:///ledger?host=/var/run/postgresql");

        Assert.Equal("/var/run/postgresql", b.Host);
        Assert.Equal("ledger", b.Database);
    }

    [Fact]
    public void Uri_WithAPercentEncodedSocketDirectoryAsHost_DecodesIt()
    {
        Assert.Equal("/tmp/pg sockets", Translate("postgresql://%2Ftmp%2Fpg%20sockets/ledger").Host);
    }

    [Fact]
    public void KeyValue_JustTheDatabase_MeansTheLocalServer()
    {
        var b = Translate("dbname=ledger");

        Assert.Equal("ledger", b.Database);
        Assert.Equal("localhost", b.Host);
    }

    [Fact]
    public void Uri_PercentEncodedUserAndPassword_AreDecoded_PlusStaysAPlus()
    {
        var b = Translate("postgres://ops%40corp:p%40ss%3Aw%2Frd+1@db/ledger");

        Assert.Equal("ops@corp", b.Username);
        Assert.Equal("p@ss:w/rd+1", b.Password);
    }

    [Fact]
    public void Uri_HostList_BecomesNpgsqlsHostList()
    {
        var b = Translate("postgres://u:p@primary.db:5432,replica.db:5433/ledger?target_session_attrs=read-write");

        Assert.Equal("primary.db:5432,replica.db:5433", b.Host);
        Assert.Equal("read-write", b.TargetSessionAttributes);
    }

    [Fact]
    public void KeyValue_HostListWithOnePort_GivesEveryHostThatPort()
    {
        Assert.Equal("a.db:6000,b.db:6000", Translate("host=a.db,b.db port=6000 dbname=x").Host);
    }

    [Fact]
    public void Uri_IPv6Host_KeepsItsAddress()
    {
        var b = Translate("postgres://u:p@[::1]:6543/ledger");

        Assert.Equal("::1", b.Host);
        Assert.Equal(6543, b.Port);
    }

    [Fact]
    public void KeyValue_QuotedValuesWithSpacesQuotesAndBackslashes_AreUnescaped()
    {
        var b = Translate("host = localhost password='it\\'s a b' user='a \\'quoted\\' name' dbname=x");

        Assert.Equal("a 'quoted' name", b.Username);
        Assert.Equal("it's a b", b.Password);
    }

    [Fact]
    public void KeyValue_PasswordWithSemicolonInQuotes_IsStillTheLibpqForm()
    {
        Assert.Equal("semi;colon", Translate("host=localhost password='semi;colon' dbname=x").Password);
    }

    [Theory]
    [InlineData("disable", SslMode.Disable)]
    [InlineData("allow", SslMode.Allow)]
    [InlineData("prefer", SslMode.Prefer)]
    [InlineData("require", SslMode.Require)]
    [InlineData("verify-ca", SslMode.VerifyCA)]
    [InlineData("verify-full", SslMode.VerifyFull)]
    public void SslMode_EveryLibpqValue_MapsToNpgsqls(string libpq, SslMode npgsql)
    {
        Assert.Equal(npgsql, Translate($"host=h sslmode={libpq}").SslMode);
    }

    [Fact]
    public void Uri_OtherQueryParameters_AreSentAsServerSettings()
    {
        var b = Translate("postgres://u:p@h/db?statement_timeout=5min&lock_timeout=10s");

        Assert.Equal("-c statement_timeout=5min -c lock_timeout=10s", b.Options);
    }

    [Fact]
    public void Uri_PoolSize_MapsToNpgsqlsPool()
    {
        var b = Translate("postgres://u:p@h/db?pool_max_conns=7&pool_min_conns=1");

        Assert.Equal((7, 1), (b.MaxPoolSize, b.MinPoolSize));
    }

    [Fact]
    public void NpgsqlForm_IsKeptAsItIs()
    {
        var b = Translate("Host=db;Port=5433;Username=u;Password=p;Database=ledger;Search Path=reporting");

        Assert.Equal(("db", 5433, "u", "p", "ledger", "reporting"), (b.Host, b.Port, b.Username, b.Password, b.Database, b.SearchPath));
    }

    [Fact]
    public void NpgsqlForm_WithOneLowerCaseKey_ReadsTheSameEitherWay()
    {
        Assert.Equal("db", Translate("Host=db").Host);
        Assert.Equal("db", Translate("host=db").Host);
    }

    [Theory]
    [InlineData("postgres://u:hunter2pass@h:99999/db", "port 1 is not a TCP port")]
    [InlineData("postgres://u:hunter2pass@h:port/db", "port 1 is not a TCP port")]
    [InlineData("postgres://u:hunter2pass@h/db?sslmode=sometimes", "sslmode must be")]
    [InlineData("postgres://u:hunter2pass@h/db?connect_timeout=soon", "connect_timeout must be")]
    [InlineData("postgres://u:hunter2pass%zz@h/db", "a '%' in the password is not followed by two hex digits")]
    [InlineData("postgres://u:hunter2pass@h/db?novalue", "query parameter 1 is not key=value")]
    [InlineData("postgres://u:hunter2pass@h/db#frag", "a '#' outside the query")]
    [InlineData("postgres://u:hunter2pass@[::1/db", "closing ']'")]
    [InlineData("postgres://u:hunter2pass@h1,h2/db?port=1,2,3", "3 ports for 2 hosts")]
    [InlineData("host=h password='hunter2pass dbname=x", "has no closing quote")]
    [InlineData("host=h password=hunter2pass dbname", "item 3 has no '='")]
    [InlineData("host=h password=hunter2pass wrongkey=1", "the key of item 3 is not a libpq keyword")]
    [InlineData("host=h password=hunter2pass sslmode=maybe", "sslmode must be")]
    [InlineData("Host=h;Password=hunter2pass;Port=notaport", "the value of port is not valid")]
    [InlineData("Host=h;hunter2pass=x", "item 2 has a keyword Npgsql does not know")]
    [InlineData("Host=h;Password=\"hunter2pass", "does not parse as any of them")]
    public void Broken_EveryWay_SaysWhatIsWrongWithoutRepeatingTheInput(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => PostgreSqlConnectionString.ToNpgsql(text));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Normalize_ThroughTheSpec_RewritesTheConnectionStringAndValidates()
    {
        var spec = new PostgreSqlSpec { ConnectionString = "postgres://u:p@h:5432/db?sslmode=disable" };

        Assert.Null(PostgreSqlConnectionString.Normalize(spec));
        Assert.Empty(spec.Validate());
        Assert.Equal("db", new NpgsqlConnectionStringBuilder(spec.ConnectionString).Database);
    }
}
