using Confluent.Kafka;
using Workers.Core.Destinations;

namespace Workers.Destinations.Kafka;

/// <summary>Asks the cluster for its metadata, with a verdict code as CloudQuery's connection tester gives.</summary>
static class KafkaConnectionTester
{
    public static async Task TestAsync(KafkaClients clients, IAdminClient admin, CancellationToken cancellationToken)
    {
        var brokers = string.Join(", ", clients.Spec.Brokers);
        Metadata metadata;
        try
        {
            metadata = await Task.Run(() => admin.GetMetadata(clients.Timeouts.Admin), cancellationToken);
        }
        catch (KafkaException ex) when (ex.Error.Code is ErrorCode.Local_Authentication or ErrorCode.SaslAuthenticationFailed)
        {
            throw new DestinationConnectionException("AUTH_FAILED", $"Kafka at {brokers}: authentication failed: {ex.Error.Reason}", ex);
        }
        catch (KafkaException ex) when (ex.Error.Code is ErrorCode.Local_Ssl)
        {
            throw new DestinationConnectionException("TLS_FAILED", $"Kafka at {brokers}: the TLS handshake failed: {ex.Error.Reason}", ex);
        }
        catch (KafkaException ex) when (ex.Error.Code is ErrorCode.Local_Resolve)
        {
            throw new DestinationConnectionException("DNS_FAILED", $"Kafka at {brokers}: cannot resolve the host: {ex.Error.Reason}", ex);
        }
        catch (KafkaException ex)
        {
            throw new DestinationConnectionException("CONN_FAILED",
                $"cannot reach the Kafka brokers {brokers} within {clients.Timeouts.Admin.TotalSeconds:F0} s: {ex.Error.Reason}", ex);
        }

        if (metadata.Brokers.Count == 0)
        {
            throw new DestinationConnectionException("CONN_FAILED", $"Kafka at {brokers}: the cluster reported no brokers");
        }

        var replication = clients.Spec.Topics.ReplicationFactor;
        if (replication > metadata.Brokers.Count)
        {
            throw new DestinationConnectionException("INVALID_SPEC",
                $"Kafka at {brokers}: topic_details.replication_factor is {replication} but the cluster has {metadata.Brokers.Count} broker(s): new topics could not be created");
        }
    }
}
