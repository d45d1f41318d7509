using Spectre.Console;
using Spectre.Console.Rendering;

namespace SmartShare.Cli.Output;

/// <summary>
/// "done/total" and the rate in binary units (KiB, MiB), the units every summary line uses; Spectre's own
/// columns label binary values "MB".
/// </summary>
internal sealed class BinarySizeColumn : ProgressColumn
{
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
    {
        ArgumentNullException.ThrowIfNull(task);
        var rate = task.Speed is { } speed and > 0 ? $" {Sizes.Format((long)speed)}/s" : string.Empty;
        return new Text($"{Sizes.Format((long)task.Value)}/{Sizes.Format((long)task.MaxValue)}{rate}");
    }
}
