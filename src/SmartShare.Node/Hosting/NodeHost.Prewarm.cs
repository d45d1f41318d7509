using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace SmartShare.Node.Hosting;

/// <summary>
/// Code a node's start runs for the first time, run ahead of it on another thread. A process that is about to start a
/// node (a command's one-off node, or <c>start</c>) spends most of that start in code running for the first time (the
/// web host's builder, its dependency injection, SQLite's native library), one core busy while the other waits. The CLI
/// runs <see cref="Prewarm"/> on a background thread from its first line, so by the time the node's start gets there, on
/// the main thread, much of that first-time cost is paid.
/// </summary>
public sealed partial class NodeHost
{
    /// <summary>
    /// Runs, on throwaway objects, the code a node's start runs first: SQLite's open on an in-memory database, a web
    /// host built the way <see cref="StartAsync"/> builds one (not started: no port is bound, no file written), its
    /// routing, the hashes and the cipher, and the JSON model. Stops between steps once
    /// <paramref name="cancellationToken"/> is cancelled (no node is started after all). Never throws: a failure here
    /// only means the start pays for itself.
    /// </summary>
    public static void Prewarm(CancellationToken cancellationToken)
    {
        Action[] steps = [PrewarmSqlite, PrewarmWebHost, RunCryptoOnce, PrewarmJson];
        foreach (var step in steps)
        {
            if (cancellationToken.IsCancellationRequested)
            {
                return;
            }

            try
            {
                step();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Nothing is lost: the node's own start runs the same code for real.
            }
        }
    }

    private static void PrewarmSqlite()
    {
        using var connection = new SqliteConnection("Data Source=:memory:");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB); INSERT INTO t (v) VALUES (x'00'); SELECT v FROM t;";
        command.ExecuteScalar();
    }

    private static void PrewarmWebHost()
    {
        var builder = NewWebBuilder();
        builder.Services.AddHttpContextAccessor();
        var app = builder.Build();
        try
        {
            app.Use(static (context, next) => next(context));
            app.MapPost("/", static (HttpContext _) => Task.CompletedTask);
            _ = app.Services.GetService<Microsoft.AspNetCore.Hosting.Server.IServer>();
        }
        finally
        {
            ((IDisposable)app).Dispose();
        }
    }

    private static void PrewarmJson() =>
        _ = JsonNode.Parse("""{"jsonrpc":"2.0","id":1,"method":"status","params":{"a":[1,2.5,true,null]}}""")?.ToJsonString();
}
