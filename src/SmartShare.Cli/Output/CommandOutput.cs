using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace SmartShare.Cli.Output;

/// <summary>
/// Everything a command shows. Human mode: progress bars and warnings on stderr, a one-line summary on
/// stdout. JSON mode: exactly one JSON object on stdout, nothing else there.
/// </summary>
internal sealed class CommandOutput
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    // Made on first use: a command that writes nothing to stderr (a --json get that succeeds) skips setting up the
    // console (about 14 ms of first-time code on the main thread, ahead of a one-off node's start).
    private readonly Lazy<IAnsiConsole> _errorConsole = new(
        static () => AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(Console.Error),
            Interactive = InteractionSupport.Detect,
        }),
        LazyThreadSafetyMode.ExecutionAndPublication);

    public CommandOutput(bool json, bool verbose)
    {
        IsJson = json;
        IsVerbose = verbose;
    }

    public bool IsJson { get; }

    public bool IsVerbose { get; }

    /// <summary>Progress bars are drawn only for a person: not in JSON mode and not when stderr is redirected.</summary>
    public bool ShowsProgress => !IsJson && !Console.IsErrorRedirected;

    public void Warn(string message) => WriteError("yellow", "warning: ", message);

    /// <summary>Status for a person or a log while a long command runs; on stderr, so stdout stays the result.</summary>
    public void Info(string message) => WriteError("grey", string.Empty, message);

    /// <summary>Status for a person only: on stderr, and left out in JSON mode, where scripts read one object.</summary>
    public void Human(string message)
    {
        if (!IsJson)
        {
            WriteError("grey", string.Empty, message);
        }
    }

    public void Detail(string message)
    {
        if (IsVerbose)
        {
            WriteError("grey", string.Empty, message);
        }
    }

    /// <summary>Ends a successful command: the summary line for people, or the JSON object for scripts.</summary>
    public void Succeed(string summary, JsonObject result)
    {
        if (IsJson)
        {
            Console.Out.WriteLine(result.ToJsonString(JsonOptions));
        }
        else
        {
            Console.Out.WriteLine(summary);
        }
    }

    /// <summary>Ends a failed command with one sentence (and the JSON error object in JSON mode).</summary>
    public void Fail(string message, string kind, Exception? exception = null)
    {
        if (IsJson)
        {
            var error = new JsonObject { ["error"] = new JsonObject { ["kind"] = kind, ["message"] = message } };
            Console.Out.WriteLine(error.ToJsonString(JsonOptions));
        }

        WriteError("red", "error: ", message);
        if (IsVerbose && exception is not null)
        {
            Console.Error.WriteLine(exception.ToString());
        }
    }

    /// <summary>Colour for a terminal; plain, unwrapped lines for logs and scripts, so hashes stay whole.</summary>
    private void WriteError(string colour, string prefix, string message)
    {
        if (Console.IsErrorRedirected)
        {
            Console.Error.WriteLine(prefix + message);
        }
        else
        {
            _errorConsole.Value.MarkupLine($"[{colour}]{Markup.Escape(prefix)}[/]{Markup.Escape(message)}");
        }
    }

    /// <summary>Runs work with a byte-count progress bar when a person is watching, and plainly otherwise.</summary>
    public async Task<T> WithProgressAsync<T>(string description, long total, Func<IProgress<long>?, Task<T>> work)
    {
        if (!ShowsProgress)
        {
            return await work(null);
        }

        return await _errorConsole.Value.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(
                new TaskDescriptionColumn(),
                new ProgressBarColumn(),
                new PercentageColumn(),
                new BinarySizeColumn(),
                new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: Math.Max(1, total));
                return await work(new ProgressTaskReporter(task));
            });
    }

    /// <summary>
    /// Runs work whose progress the node does not report (a share, a rebuild, a verify done by the node) under a
    /// spinner with the elapsed time when a person is watching, and plainly otherwise.
    /// </summary>
    public async Task<T> WithSpinnerAsync<T>(string description, Func<Task<T>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (!ShowsProgress)
        {
            return await work();
        }

        return await _errorConsole.Value.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new SpinnerColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: 1);
                task.IsIndeterminate = true;
                return await work();
            });
    }

    /// <summary>
    /// Runs a transfer with a live bar (name, bytes, rate, ETA) when a person is watching; the work reports
    /// through <see cref="TransferDisplay"/>, which does nothing otherwise.
    /// </summary>
    public async Task<T> WithTransferAsync<T>(string description, Func<TransferDisplay, Task<T>> work)
    {
        if (!ShowsProgress)
        {
            return await work(new TransferDisplay(null));
        }

        return await _errorConsole.Value.Progress()
            .AutoClear(true)
            .HideCompleted(true)
            .Columns(
                new TaskDescriptionColumn { Alignment = Justify.Left },
                new ProgressBarColumn(),
                new PercentageColumn(),
                new BinarySizeColumn(),
                new RemainingTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask(Markup.Escape(description), maxValue: 1);
                return await work(new TransferDisplay(task));
            });
    }

    private sealed class ProgressTaskReporter(ProgressTask task) : IProgress<long>
    {
        public void Report(long value) => task.Value = value;
    }
}
