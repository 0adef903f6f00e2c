namespace Workers.Core.Contract.Arrow;

/// <summary>Arrow's <c>MessageHeader</c> union tags, as they appear in the metadata.</summary>
internal enum IpcMessageType : byte
{
    None = 0,
    Schema = 1,
    DictionaryBatch = 2,
    RecordBatch = 3,
    Tensor = 4,
    SparseTensor = 5,
}
