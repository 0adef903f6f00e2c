using System.Net.Mime;
using Workers.Core.Contract;

namespace Workers.Messaging.Serialization;

static class ArrowContentType
{
    public static readonly ContentType Value = new(WireHeaders.ContentType);
}
