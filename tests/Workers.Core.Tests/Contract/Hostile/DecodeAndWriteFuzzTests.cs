using System.Buffers.Binary;
using CsCheck;
using Workers.Core.Config;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Core.Schema;
using Workers.Destinations.Files;
using Xunit.Abstractions;
using YamlDotNet.RepresentationModel;

namespace Workers.Core.Tests.Contract.Hostile;

/// <summary>
/// The fuzz target over decode-and-write: seeds from Contract/Corpus, mutated (bytes, 32- and 64-bit words set to
/// edge values, truncation), decoded and, when the contract accepts them, written through the file destination and
/// read cell by cell. Whatever the bytes, the worker must answer with poison or with a write; any other exception
/// (an index out of range, an access violation that ends the process) means a buffer went unchecked.
/// A failure prints CsCheck's seed of the smallest failing case: set WORKERS_FUZZ_SEED to it to replay that case.
/// </summary>
public sealed class DecodeAndWriteFuzzTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>Seconds of fuzzing in every test run: bounded, so that CI stays fast.</summary>
    const int Seconds = 20;

    static readonly SyncInfo Sync = new(Guid.Parse("2b7c1a9e-4d3f-4e8a-9b21-6c5d4e3f2a10"), "fuzz", new DateTime(2026, 12, 1, 8, 0, 0, DateTimeKind.Utc));

    static readonly long[] EdgeValues = [0, 1, -1, 2, 3, 7, 8, 15, 16, 63, 64, 65, 255, 256, 4096, 65_535, 1_000_000, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue, long.MinValue];

    static readonly (string Name, byte[] Bytes)[] Corpus = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Contract", "Corpus"), "*.arrow")
        .Order(StringComparer.Ordinal)
        .Select(f => (Path.GetFileNameWithoutExtension(f), File.ReadAllBytes(f)))
        .ToArray();

    readonly string _directory = Directory.CreateTempSubdirectory("workers-fuzz-").FullName;

    [Fact]
    public void Corpus_HoldsValidAndHostileSeeds()
    {
        Assert.Contains(Corpus, c => c.Name.StartsWith("valid-", StringComparison.Ordinal));
        Assert.Contains(Corpus, c => c.Name.StartsWith("hostile-", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Corpus_ValidSeedsAreWrittenWhole_HostileSeedsArePoison()
    {
        using var target = new Target(_directory);
        foreach (var (name, bytes) in Corpus)
        {
            var outcome = await target.RunAsync(bytes);
            if (name.StartsWith("hostile-", StringComparison.Ordinal))
            {
                Assert.True(outcome.Poison is not null, $"{name} was accepted");
            }
            else
            {
                Assert.True(outcome.Poison is null, $"{name} was refused: {outcome.Poison}");
                Assert.True(outcome.Rows > 0, $"{name} wrote nothing");
            }
        }
    }

    [Fact]
    public void Fuzz_MutatedCorpus_IsPoisonOrWritten_NeverAnythingElse()
    {
        var seed = Environment.GetEnvironmentVariable("WORKERS_FUZZ_SEED") is { Length: > 0 } replay ? replay : null;
        output.WriteLine($"fuzzing decode-and-write for {Seconds} s over {Corpus.Length} corpus seeds; " +
            (seed is null ? "a failure prints the seed to replay (WORKERS_FUZZ_SEED)" : $"replaying WORKERS_FUZZ_SEED={seed} first"));
        var mutation = Gen.Select(Gen.Int[0, 4], Gen.Int[0, int.MaxValue], Gen.Int[0, EdgeValues.Length - 1], Gen.Byte,
            (kind, position, edge, value) => new Mutation(kind, position, EdgeValues[edge], value));
        var cases = Gen.Select(Gen.Int[0, Corpus.Length - 1], mutation.Array[1, 6]);
        using var target = new Target(_directory);
        var poison = 0;
        var refused = 0;
        var written = 0;
        cases.Sample(
            (index, mutations) =>
            {
                var outcome = target.RunAsync(Mutate(Corpus[index].Bytes, mutations)).GetAwaiter().GetResult();
                _ = outcome.Poison switch
                {
                    null => written++,
                    var reason when reason.StartsWith("write failed", StringComparison.Ordinal) => refused++,
                    _ => poison++,
                };
            },
            writeLine: output.WriteLine,
            seed: seed,
            time: seed is null ? Seconds : -1,
            iter: seed is null ? -1 : 1,
            threads: 1,
            print: c => $"{Corpus[c.Item1].Name} with {string.Join(", ", c.Item2)}");
        output.WriteLine($"{poison} mutants were poison, {refused} decoded but refused by the write, {written} decoded and written");
        Assert.True(poison > 0, "no mutant was refused: the mutations did not reach the decoder");
    }

    static byte[] Mutate(byte[] seed, Mutation[] mutations)
    {
        var bytes = (byte[])seed.Clone();
        var length = bytes.Length;
        foreach (var m in mutations)
        {
            var at = m.Position % length;
            switch (m.Kind)
            {
                case 0:
                    bytes[at] = m.Byte;
                    break;
                case 1 when at / 4 * 4 + 4 <= length:
                    BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(at / 4 * 4), (int)m.Edge);
                    break;
                case 2 when at / 8 * 8 + 8 <= length:
                    BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(at / 8 * 8), m.Edge);
                    break;
                case 3:
                    length = Math.Max(1, at);
                    break;
                default:
                    bytes[at] ^= (byte)(1 << (m.Byte & 7));
                    break;
            }
        }

        return bytes[..length];
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    readonly record struct Mutation(int Kind, int Position, long Edge, byte Byte)
    {
        public override string ToString() => Kind switch
        {
            0 => $"byte {Byte} at {Position}",
            1 => $"int32 {(int)Edge} at {Position}",
            2 => $"int64 {Edge} at {Position}",
            3 => $"cut at {Position}",
            _ => $"bit {Byte & 7} flipped at {Position}",
        };
    }

    readonly record struct Outcome(string? Poison, long Rows);

    /// <summary>What a worker does with one body: the codec, then the file destination's writer, then every cell read back.</summary>
    sealed class Target : IDisposable
    {
        readonly DestinationWriter _writer;

        public Target(string directory)
        {
            var yaml = new YamlMappingNode
            {
                { "path", Path.Combine(directory, "{{TABLE}}", "{{UUID}}.{{FORMAT}}") },
                { "format", "json" },
            };
            var spec = new DestinationSpec("fuzz", "file", WriteMode.Append, MigrateMode.Safe, PkMode.Default, yaml, "test");
            _writer = new DestinationWriter(spec, new FileDestinationFactory().Create(spec));
        }

        public async Task<Outcome> RunAsync(byte[] body)
        {
            // Learn the rows and table the body claims, so that the headers agree and the write is reached.
            string table;
            long rows;
            try
            {
                var (schema, batches) = ArrowIpc.Read(body);
                rows = batches.Sum(b => (long)b.Length);
                foreach (var batch in batches)
                {
                    batch.Dispose();
                }

                table = schema.Metadata is not null && schema.Metadata.TryGetValue(CqMetadata.TableName, out var name) && name is { Length: > 0 } ? name : "fuzz";
            }
            catch (ContractViolationException violation)
            {
                return new Outcome(violation.Reason, 0);
            }

            var wire = new WireMessage(Guid.NewGuid(), new Dictionary<string, string>
            {
                [WireHeaders.Kind] = "insert",
                [WireHeaders.SyncId] = Sync.SyncId.ToString(),
                [WireHeaders.SourceName] = Sync.SourceName,
                [WireHeaders.SyncTime] = SyncTimes.Format(Sync.SyncTime),
                [WireHeaders.Table] = table,
                [WireHeaders.BatchId] = Guid.NewGuid().ToString(),
                [WireHeaders.Rows] = rows.ToString(System.Globalization.CultureInfo.InvariantCulture),
            }, body) { ContentType = WireHeaders.ContentType };
            DestinationMessage message;
            try
            {
                message = WireCodec.Decode(wire);
            }
            catch (ContractViolationException violation)
            {
                return new Outcome(violation.Reason, 0);
            }

            using var insert = (InsertMessage)message;
            try
            {
                foreach (var batch in insert.Batches)
                {
                    for (var column = 0; column < batch.ColumnCount; column++)
                    {
                        for (var row = 0; row < batch.Length; row++)
                        {
                            ArrowValues.Get(batch.Column(column), row);
                        }
                    }
                }

                var result = await _writer.ApplyAsync(insert, CancellationToken.None);
                return new Outcome(null, result.Rows);
            }
            catch (Exception ex) when (!SignalsAnUncheckedBuffer(ex))
            {
                // A value the destination cannot hold (a decimal beyond .NET's, a timestamp beyond DateTime's): the
                // worker dead-letters it as "write failed" with this message. Memory is not at stake.
                return new Outcome($"write failed: {ex.Message}", 0);
            }
        }

        /// <summary>What only a read outside a buffer, or a structure the validator let through, can raise.</summary>
        static bool SignalsAnUncheckedBuffer(Exception exception) =>
            exception is IndexOutOfRangeException or NullReferenceException or InvalidCastException or AccessViolationException
            || (exception is ArgumentOutOfRangeException && exception.StackTrace?.Contains(".Slice(", StringComparison.Ordinal) == true);

        public void Dispose() => _writer.Destination.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }
}
