namespace Workers.Fleet.Tests;

/// <summary>The services infra/services.sh started. Missing means the run is broken: fail, never skip.</summary>
static class TestServices
{
    public static string RabbitMqUrl => Required("WORKERS_TEST_RABBITMQ_URL");

    public static string PostgresConnectionString => Required("WORKERS_TEST_PG_CONNECTION_STRING");

    public static string BlobConnectionString => Required("WORKERS_TEST_BLOB_CONNECTION_STRING");

    /// <summary>The test RabbitMQ's rabbitmq_prometheus endpoint (http://127.0.0.1:port).</summary>
    public static string RabbitMqPrometheusUrl => Required("WORKERS_TEST_RABBITMQ_PROMETHEUS_URL");

    /// <summary>The S3 emulator (s3rver), path-style, with its fixed development key pair.</summary>
    public static string S3Endpoint => Required("WORKERS_TEST_S3_ENDPOINT");

    public static string S3AccessKeyId => Required("WORKERS_TEST_S3_ACCESS_KEY_ID");

    public static string S3SecretAccessKey => Required("WORKERS_TEST_S3_SECRET_ACCESS_KEY");

    static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run the tests with ./infra/test.sh, which starts the services");
}
