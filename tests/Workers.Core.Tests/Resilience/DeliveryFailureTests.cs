using Azure;
using DuckDB.NET.Data;
using DuckDB.NET.Native;
using Microsoft.Data.Sqlite;
using Npgsql;
using Workers.Core.Contract;
using Workers.Core.Destinations;
using Workers.Destinations.Files.Stores;
using Workers.Destinations.PostgreSql;
using Workers.Messaging.ClaimCheck;
using Workers.Messaging.Consuming;

namespace Workers.Core.Tests.Resilience;

/// <summary>
/// The one classification at the delivery boundary, as a table: transient → retry, outage → breaker, poison → error
/// queue, cancelled → back to the queue; per destination with its own error codes.
/// </summary>
public sealed class DeliveryFailureTests
{
    [Theory]
    [InlineData("28P01", FailureKind.Outage)]        // invalid_password: a rotated password holds the messages
    [InlineData("28000", FailureKind.Outage)]        // invalid_authorization_specification
    [InlineData("3D000", FailureKind.Outage)]        // invalid_catalog_name: the database is gone
    [InlineData("53100", FailureKind.Transient)]     // disk_full
    [InlineData("53200", FailureKind.Transient)]     // out_of_memory
    [InlineData("53300", FailureKind.Transient)]     // too_many_connections
    [InlineData("55P03", FailureKind.Transient)]     // lock_not_available
    [InlineData("55006", FailureKind.Transient)]     // object_in_use
    [InlineData("58030", FailureKind.Transient)]     // io_error
    [InlineData("40001", FailureKind.Transient)]     // serialization_failure
    [InlineData("40P01", FailureKind.Transient)]     // deadlock_detected
    [InlineData("57P01", FailureKind.Transient)]     // admin_shutdown
    [InlineData("57014", FailureKind.Transient)]     // query_canceled (statement_timeout): slow, not bad
    [InlineData("08006", FailureKind.Transient)]     // connection_failure
    [InlineData("23505", FailureKind.Poison)]        // unique_violation
    [InlineData("22P02", FailureKind.Poison)]        // invalid_text_representation
    [InlineData("42703", FailureKind.Poison)]        // undefined_column
    public void PostgreSql_BySqlState(string sqlState, FailureKind expected)
    {
        var error = new PostgresException("server said no", "ERROR", "ERROR", sqlState);
        Assert.Equal(expected, PostgreSqlFailures.Classify(error));
        Assert.Equal(expected, PostgreSqlFailures.Classify(new InvalidOperationException("wrapped", error)));
    }

    [Theory]
    [InlineData(5, FailureKind.Transient)]    // SQLITE_BUSY
    [InlineData(6, FailureKind.Transient)]    // SQLITE_LOCKED
    [InlineData(13, FailureKind.Poison)]      // SQLITE_FULL
    [InlineData(19, FailureKind.Poison)]      // SQLITE_CONSTRAINT
    public void Sqlite_ByErrorCode(int code, FailureKind expected)
    {
        var destination = new Workers.Destinations.Sqlite.SqliteDestinationFactory().Create(Spec("sqlite", Path.Combine(Path.GetTempPath(), Guid.NewGuid() + ".db")));
        Assert.Equal(expected, DeliveryFailure.Classify(new SqliteException("sqlite said no", code), destination, CancellationToken.None));
    }

    /// <summary>
    /// DuckDB has no error codes to put in a table: each row is a real error of the real engine. A write conflict
    /// between two transactions and a file locked by another process are transient; the rest is the message's.
    /// </summary>
    [Fact]
    public async Task DuckDb_ByTheEnginesOwnErrors()
    {
        var path = Path.Combine(Path.GetTempPath(), "workers-classify-" + Guid.NewGuid().ToString("N") + ".duckdb");
        try
        {
            await using (var destination = new Workers.Destinations.DuckDb.DuckDbDestinationFactory().Create(Spec("duckdb", path)))
            {
                await using var first = new DuckDBConnection($"Data Source={path}");
                await using var second = new DuckDBConnection($"Data Source={path}");
                await first.OpenAsync();
                await second.OpenAsync();
                await DuckDb(first, "CREATE TABLE t (id BIGINT PRIMARY KEY, v INTEGER); INSERT INTO t VALUES (1, 0)");

                Assert.Equal(FailureKind.Poison, Classify(destination, await DuckDbError(first, "SELECT * FROM missing")));             // catalog
                Assert.Equal(FailureKind.Poison, Classify(destination, await DuckDbError(first, "INSERT INTO t VALUES (1, 1)")));        // constraint
                Assert.Equal(FailureKind.Poison, Classify(destination, await DuckDbError(first, "SELECT CAST('abc' AS INTEGER)")));     // conversion

                // Two transactions update the same row: the second one's conflict passes once the first commits.
                await using var one = await first.BeginTransactionAsync();
                await DuckDb(first, "UPDATE t SET v = 1 WHERE id = 1");
                await using var two = await second.BeginTransactionAsync();
                var conflict = await DuckDbError(second, "UPDATE t SET v = 2 WHERE id = 1");
                Assert.Equal(DuckDBErrorType.Transaction, conflict.ErrorType);
                Assert.Equal(FailureKind.Transient, Classify(destination, conflict));
            }

            // Another process holds the file's lock (perl is part of every Debian system): DuckDB's one-writer rule.
            using var holder = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("perl")
            {
                ArgumentList =
                {
                    "-e",
                    "$| = 1; use Fcntl; open(my $f, '+<', $ARGV[0]) or die \"open: $!\"; my $l = pack('s s x4 q q i x4', F_WRLCK, 0, 0, 0, 0); fcntl($f, F_SETLK, $l) or die \"lock: $!\"; print \"locked\\n\"; <STDIN>;",
                    path,
                },
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
            })!;
            Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync());
            await using (var locked = new Workers.Destinations.DuckDb.DuckDbDestinationFactory().Create(Spec("duckdb", path)))
            {
                await using var connection = new DuckDBConnection($"Data Source={path}");
                var error = await Assert.ThrowsAsync<DuckDBException>(() => connection.OpenAsync());
                Assert.Contains("Could not set lock on file", error.Message, StringComparison.Ordinal);
                Assert.Equal(FailureKind.Transient, Classify(locked, error));
            }

            holder.StandardInput.Close();
            await holder.WaitForExitAsync();
        }
        finally
        {
            File.Delete(path);
            File.Delete(path + ".wal");
        }
    }

    static FailureKind Classify(IDestination destination, Exception error) => DeliveryFailure.Classify(error, destination, CancellationToken.None);

    static async Task DuckDb(DuckDBConnection connection, string sql)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    static async Task<DuckDBException> DuckDbError(DuckDBConnection connection, string sql) =>
        await Assert.ThrowsAsync<DuckDBException>(() => DuckDb(connection, sql));

    [Theory]
    [InlineData(503, true)]
    [InlineData(500, true)]
    [InlineData(429, true)]
    [InlineData(408, true)]
    [InlineData(404, false)]
    [InlineData(403, false)]
    public void AzureBlob_ByStatus(int status, bool transient)
    {
        var store = new BlobContainerStore(new Azure.Storage.Blobs.BlobContainerClient("UseDevelopmentStorage=true", "c"));
        Assert.Equal(transient, store.IsTransient(new RequestFailedException(status, "blob service said no")));
    }

    [Fact]
    public void TheContractsOwnFailures_ArePoison_WhateverTheDestinationSays()
    {
        var destination = new AlwaysTransient();
        Assert.Equal(FailureKind.Poison, DeliveryFailure.Classify(new ContractViolationException("no cq-kind"), destination, CancellationToken.None));
        Assert.Equal(FailureKind.Poison, DeliveryFailure.Classify(new MigrationRefusedException("t", []), destination, CancellationToken.None));
        Assert.Equal(FailureKind.Poison, DeliveryFailure.Classify(new DeleteStaleTimeoutException("waited"), destination, CancellationToken.None));
        Assert.Equal(FailureKind.Poison, DeliveryFailure.Classify(new MessageTooLargeException("big"), destination, CancellationToken.None));
        Assert.Equal(FailureKind.Poison, DeliveryFailure.Classify(new ClaimCheckException("checksum mismatch"), destination, CancellationToken.None));
        Assert.Equal(FailureKind.Outage, DeliveryFailure.Classify(new ClaimCheckException("unreachable") { ServiceUnavailable = true }, destination, CancellationToken.None));
    }

    [Fact]
    public void Cancellation_IsCancelledOnlyWhenThisDeliveryWasStopped()
    {
        var destination = new AlwaysTransient();
        using var stopped = new CancellationTokenSource();
        stopped.Cancel();
        Assert.Equal(FailureKind.Cancelled, DeliveryFailure.Classify(new OperationCanceledException(), destination, stopped.Token));
        Assert.Equal(FailureKind.Transient, DeliveryFailure.Classify(new TaskCanceledException(), destination, CancellationToken.None));
    }

    [Fact]
    public void Reason_NamesTheCause_NotTheWrapperAroundIt()
    {
        var wrapped = new MassTransit.ConsumerException("MassTransit wrapper", new MigrationRefusedException("t", []));
        Assert.StartsWith("migration refused: table \"t\"", DeliveryFailure.Reason(wrapped), StringComparison.Ordinal);
        Assert.StartsWith("contract violation: bad", DeliveryFailure.Reason(new AggregateException(new ContractViolationException("bad"))), StringComparison.Ordinal);
    }

    static Workers.Core.Config.DestinationSpec Spec(string path, string connectionString) =>
        new("d", path, Workers.Core.Config.WriteMode.Overwrite, Workers.Core.Config.MigrateMode.Safe, Workers.Core.Config.PkMode.Default,
            new YamlDotNet.RepresentationModel.YamlMappingNode { { "connection_string", connectionString } }, "test");

    /// <summary>A destination that calls everything transient: the contract's own failures must win over it.</summary>
    sealed class AlwaysTransient : IDestination
    {
        public Task<MigrationResult> MigrateAsync(Workers.Core.Schema.TableSchema table, Workers.Core.Config.MigrateMode mode, SyncInfo sync, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<WriteResult> WriteAsync(Workers.Core.Schema.TableSchema table, Workers.Core.Config.WriteMode mode, InsertMessage insert, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<DeleteStaleResult> DeleteStaleAsync(DeleteStaleMessage message, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task<IReadOnlyList<object?[]>> ReadAsync(Workers.Core.Schema.TableSchema table, CancellationToken cancellationToken) => throw new NotSupportedException();

        public Task TestConnectionAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public bool IsTransient(Exception exception) => true;

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
