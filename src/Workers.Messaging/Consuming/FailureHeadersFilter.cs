using MassTransit;

namespace Workers.Messaging.Consuming;

/// <summary>
/// Adds our reason, exception type, attempts, worker and time to a dead letter, beside MassTransit's MT-Fault-* headers,
/// so that `workers dlq` and any AMQP tool can say why a message is there.
/// </summary>
sealed class FailureHeadersFilter(string worker) : IFilter<ExceptionReceiveContext>
{
    public const string Reason = "x-workers-reason";
    public const string ExceptionType = "x-workers-exception-type";
    public const string Worker = "x-workers-worker";
    public const string FailedAt = "x-workers-failed-at";
    public const string Attempts = "x-workers-attempts";

    public Task Send(ExceptionReceiveContext context, IPipe<ExceptionReceiveContext> next)
    {
        var exception = DeliveryFailure.Cause(context.Exception);
        context.ExceptionHeaders.Set(Reason, DeliveryFailure.Reason(exception));
        context.ExceptionHeaders.Set(ExceptionType, exception.GetType().FullName);
        context.ExceptionHeaders.Set(Worker, worker);
        context.ExceptionHeaders.Set(FailedAt, Core.Contract.SyncTimes.Format(context.ExceptionTimestamp));
        context.ExceptionHeaders.Set(Attempts, Convert.ToString(exception.Data[Attempts] ?? 1, System.Globalization.CultureInfo.InvariantCulture));
        return next.Send(context);
    }

    public void Probe(ProbeContext context) => context.CreateFilterScope("workers-failure-headers");
}
