using Grpc.Core;
using Workers.CloudQuery.Protocol.Discovery;

namespace Workers.CloudQuery.Serve;

/// <summary>CloudQuery's discovery service: `workers serve` speaks plugin protocol version 3 only.</summary>
internal sealed class DiscoveryEndpoint : Discovery.DiscoveryBase
{
    public override Task<GetVersions.Types.Response> GetVersions(GetVersions.Types.Request request, ServerCallContext context) =>
        Task.FromResult(new GetVersions.Types.Response { Versions = { 3 } });
}
