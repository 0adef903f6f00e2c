using Workers.CloudQuery.Protocol.V3;

namespace Workers.CloudQuery.Tests;

/// <summary>Calls on a plugin client that the serve tests share.</summary>
static class PluginClientCalls
{
    /// <summary>One Write stream: every message, then the end of the stream, then its answer.</summary>
    public static async Task WriteAllAsync(this Plugin.PluginClient client, params Write.Types.Request[] messages)
    {
        using var call = client.Write();
        foreach (var message in messages)
        {
            await call.RequestStream.WriteAsync(message);
        }

        await call.RequestStream.CompleteAsync();
        await call.ResponseAsync;
    }
}
