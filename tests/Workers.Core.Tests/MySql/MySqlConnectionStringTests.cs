using MySqlConnector;
using Workers.Destinations.MySql;

namespace Workers.Core.Tests.MySql;

public class MySqlConnectionStringTests
{
    [Theory]
    [InlineData("user:secret@tcp(127.0.0.1:3306)/dbname", "127.0.0.1", 3306u, "user", "secret", "dbname")]
    [InlineData("user:secret@tcp(db.example:3307)/shop", "db.example", 3307u, "user", "secret", "shop")]
    [InlineData("user:secret@127.0.0.1:3306/dbname?charset=utf8mb4&parseTime=True&loc=Local", "127.0.0.1", 3306u, "user", "secret", "dbname")]
    [InlineData("user:secret@localhost:3306/dbname?timeout=30s&readTimeout=1s&writeTimeout=1s", "localhost", 3306u, "user", "secret", "dbname")]
    [InlineData("user:secret@/dbname?loc=UTC&allowNativePasswords=true&tls=preferred", "127.0.0.1", 3306u, "user", "secret", "dbname")]
    [InlineData("root@tcp(10.1.2.3)/app", "10.1.2.3", 3306u, "root", "", "app")]
    [InlineData("user:p@ss:w/rd@tcp([::1]:3310)/app", "::1", 3310u, "user", "p@ss:w/rd", "app")]
    [InlineData("/onlydb", "127.0.0.1", 3306u, "", "", "onlydb")]
    public void Parse_GoDriverDsn_GivesMySqlConnectorSettings(string dsn, string server, uint port, string user, string password, string database)
    {
        var builder = MySqlConnectionString.Parse(dsn);

        Assert.Equal(server, builder.Server);
        Assert.Equal(port, builder.Port);
        Assert.Equal(user, builder.UserID);
        Assert.Equal(password, builder.Password);
        Assert.Equal(database, builder.Database);
        Assert.True(builder.AllowLoadLocalInfile);
    }

    [Fact]
    public void Parse_DsnParameters_MapToTheirMeaning()
    {
        var builder = MySqlConnectionString.Parse("u:p@tcp(h:1)/d?tls=true&timeout=1m30s&readTimeout=10s&writeTimeout=20s&charset=utf8mb4,utf8");

        Assert.Equal(MySqlSslMode.VerifyFull, builder.SslMode);
        Assert.Equal(90u, builder.ConnectionTimeout);
        Assert.Equal(20u, builder.DefaultCommandTimeout);
        Assert.Equal("utf8mb4", builder.CharacterSet);
    }

    [Theory]
    [InlineData("false", MySqlSslMode.None)]
    [InlineData("skip-verify", MySqlSslMode.Required)]
    [InlineData("preferred", MySqlSslMode.Preferred)]
    public void Parse_TlsValues_MapToSslModes(string tls, MySqlSslMode mode) =>
        Assert.Equal(mode, MySqlConnectionString.Parse($"u:p@tcp(h:1)/d?tls={tls}").SslMode);

    [Fact]
    public void Parse_UnixSocketDsn_UsesTheSocket()
    {
        var builder = MySqlConnectionString.Parse("u:p@unix(/run/mysqld/mysqld.sock)/d");

        Assert.Equal(MySqlConnectionProtocol.UnixSocket, builder.ConnectionProtocol);
        Assert.Equal("/run/mysqld/mysqld.sock", builder.Server);
        Assert.Equal("d", builder.Database);
    }

    [Fact]
    public void Parse_PercentEscapedDatabase_IsDecoded() =>
        Assert.Equal("my db", MySqlConnectionString.Parse("u:p@tcp(h:1)/my%20db").Database);

    [Fact]
    public void Parse_MySqlConnectorForm_IsKept()
    {
        var builder = MySqlConnectionString.Parse("Server=db;Port=3307;User ID=u;Password=secret;Database=app");

        Assert.Equal("db", builder.Server);
        Assert.Equal(3307u, builder.Port);
        Assert.Equal("secret", builder.Password);
        Assert.Equal("app", builder.Database);
        Assert.True(builder.AllowLoadLocalInfile);
    }

    [Theory]
    [InlineData("u:hunter2secret@tcp(h:1)/d?tls=maybe", "tls")]
    [InlineData("u:hunter2secret@tcp(h:1)/d?sql_mode=ANSI", "sql_mode")]
    [InlineData("u:hunter2secret@tcp(h:99999)/d", "port")]
    [InlineData("u:hunter2secret@pipe(h)/d", "protocol")]
    [InlineData("u:hunter2secret@tcp(h:1/d", "neither a DSN")]
    [InlineData("u:hunter2secret@tcp(h:1)x/d", "not closed")]
    [InlineData("u:hunter2secret@tcp(h:1)/d?timeout=soon", "timeout")]
    [InlineData("Server=h;Pasword=hunter2secret", "keyword")]
    public void Parse_BadInput_NamesThePartAndNeverThePassword(string text, string named)
    {
        var error = Assert.Throws<FormatException>(() => MySqlConnectionString.Parse(text));

        Assert.Contains(named, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.OrdinalIgnoreCase);
    }
}
