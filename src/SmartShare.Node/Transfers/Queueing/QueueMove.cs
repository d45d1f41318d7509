namespace SmartShare.Node.Transfers.Queueing;

public enum QueueMoveKind
{
    Top,
    Up,
    Down,
    Bottom,
    Position,
}

/// <summary>Where <c>transfer_queue_move</c> puts a transfer: top, up one, down one, bottom, or a position (0 is the top).</summary>
public readonly record struct QueueMove(QueueMoveKind Kind, int Position = 0)
{
    /// <summary>Reads "top", "up", "down", "bottom" or a position.</summary>
    /// <exception cref="FormatException">Anything else.</exception>
    public static QueueMove Parse(System.Text.Json.Nodes.JsonNode? value)
    {
        if (value is System.Text.Json.Nodes.JsonValue json)
        {
            if (json.TryGetValue<string>(out var text))
            {
                return text.Trim().ToLowerInvariant() switch
                {
                    "top" => new(QueueMoveKind.Top),
                    "up" => new(QueueMoveKind.Up),
                    "down" => new(QueueMoveKind.Down),
                    "bottom" => new(QueueMoveKind.Bottom),
                    _ => throw new FormatException($"The parameter 'to' must be \"top\", \"up\", \"down\", \"bottom\" or a position from 0, not '{Sentences.Shorten(text)}'."),
                };
            }

            if (json.GetValueKind() == System.Text.Json.JsonValueKind.Number && json.TryGetValue<int>(out var position) && position >= 0)
            {
                return new(QueueMoveKind.Position, position);
            }
        }

        throw new FormatException($"The parameter 'to' must be \"top\", \"up\", \"down\", \"bottom\" or a position from 0, not {value?.ToJsonString() ?? "null"}.");
    }
}
