using Google.Cloud.Storage.V1;
using Workers.Destinations.Files;

namespace Workers.Conformance.Files;

/// <summary>
/// The GCS emulator of infra/services.sh (firebase-tools' Storage emulator), and a client for inspecting buckets.
/// <c>STORAGE_EMULATOR_HOST</c> is put in the environment once, where the destination under test finds it, as
/// Google's clients and CloudQuery's GCS plugin do.
/// </summary>
public sealed class GcsTestServer
{
    GcsTestServer(string host)
    {
        Host = host;
        Environment.SetEnvironmentVariable(GcsSpec.EmulatorHostVariable, host);
        Client = GcsDestinationFactory.ForEmulator(host);
    }

    public string Host { get; }

    public StorageClient Client { get; }

    public static GcsTestServer FromEnvironment() => Environment.GetEnvironmentVariable("WORKERS_TEST_GCS_EMULATOR_HOST") is { Length: > 0 } host
        ? new GcsTestServer(host)
        : throw new InvalidOperationException("WORKERS_TEST_GCS_EMULATOR_HOST is not set: run `bash infra/services.sh start` and source .run/services.env");

    /// <summary>An object's bytes exactly as the emulator keeps them.</summary>
    public async Task<byte[]> ReadAsync(string bucket, string key)
    {
        using var buffer = new MemoryStream();
        await Client.DownloadObjectAsync(bucket, key, buffer);
        return buffer.ToArray();
    }

    public async Task<List<string>> KeysAsync(string bucket, string prefix = "")
    {
        var keys = new List<string>();
        await foreach (var item in Client.ListObjectsAsync(bucket, prefix))
        {
            keys.Add(item.Name);
        }

        return keys;
    }

    /// <summary>Empties the bucket: the emulator has no bucket deletion, and a bucket without objects is gone.</summary>
    public async Task DeleteBucketAsync(string bucket)
    {
        foreach (var key in await KeysAsync(bucket))
        {
            await Client.DeleteObjectAsync(bucket, key);
        }
    }
}
