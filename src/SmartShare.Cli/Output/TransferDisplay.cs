using Spectre.Console;

namespace SmartShare.Cli.Output;

/// <summary>What a transfer shows on its progress line; without a terminal every update is ignored.</summary>
internal sealed class TransferDisplay(ProgressTask? task)
{
    public void Update(string description, long done, long total)
    {
        if (task is null)
        {
            return;
        }

        task.Description = Markup.Escape(description);
        task.MaxValue = Math.Max(1, total);
        task.Value = Math.Min(done, task.MaxValue);
    }
}
