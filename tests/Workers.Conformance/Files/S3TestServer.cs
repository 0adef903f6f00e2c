using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;

namespace Workers.Conformance.Files;

/// <summary>
/// The S3 emulator of infra/services.sh, and a client for arranging and inspecting buckets. Its key pair is put in
/// the environment once, where the AWS SDK's default chain (and so the destination under test) finds it.
/// </summary>
public sealed class S3TestServer
{
    S3TestServer(string endpoint, string keyId, string secret)
    {
        Endpoint = endpoint;
        KeyId = keyId;
        Secret = secret;
        Environment.SetEnvironmentVariable("AWS_ACCESS_KEY_ID", keyId);
        Environment.SetEnvironmentVariable("AWS_SECRET_ACCESS_KEY", secret);
        Client = new AmazonS3Client(new BasicAWSCredentials(keyId, secret), new AmazonS3Config { ServiceURL = endpoint, ForcePathStyle = true, AuthenticationRegion = "us-east-1" });
    }

    public string Endpoint { get; }

    public string KeyId { get; }

    public string Secret { get; }

    public AmazonS3Client Client { get; }

    public static S3TestServer FromEnvironment()
    {
        static string Get(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: run `bash infra/services.sh start` and source .run/services.env");

        return new S3TestServer(Get("WORKERS_TEST_S3_ENDPOINT"), Get("WORKERS_TEST_S3_ACCESS_KEY_ID"), Get("WORKERS_TEST_S3_SECRET_ACCESS_KEY"));
    }

    /// <summary>Every object's bytes exactly as the server keeps them.</summary>
    public async Task<byte[]> ReadAsync(string bucket, string key)
    {
        using var response = await Client.GetObjectAsync(bucket, key);
        using var buffer = new MemoryStream();
        await response.ResponseStream.CopyToAsync(buffer);
        return buffer.ToArray();
    }

    public async Task<List<string>> KeysAsync(string bucket, string prefix = "")
    {
        var response = await Client.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, Prefix = prefix });
        return (response.S3Objects ?? []).Select(o => o.Key).ToList();
    }

    public async Task DeleteBucketAsync(string bucket)
    {
        foreach (var key in await KeysAsync(bucket))
        {
            await Client.DeleteObjectAsync(bucket, key);
        }

        await Client.DeleteBucketAsync(bucket);
    }
}
