using System.Globalization;

namespace SmartShare.Node.Limits;

/// <summary>
/// When the alternative speed limits apply by themselves (the <c>alt_speed_schedule</c> setting): a set of days and a
/// time of day range, written "DAYS HH:MM-HH:MM", for example "all 09:00-17:00", "mon-fri 22:00-07:00" or
/// "sat,sun 00:00-00:00". DAYS is all, weekdays, weekend, or day names (mon … sun) and ranges joined by commas. A
/// range that ends before it begins runs past midnight and belongs to the day it starts on; equal times mean the
/// whole day. Transmission's form (minutes after midnight and a day mask, Sunday = 1 … Saturday = 64) converts
/// both ways.
/// </summary>
public sealed record SpeedSchedule(int Days, int BeginMinute, int EndMinute)
{
    public const int AllDays = 127;
    public const int Weekdays = 62;
    public const int Weekend = 65;

    private static readonly string[] DayNames = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

    public static SpeedSchedule Default { get; } = new(AllDays, 9 * 60, 17 * 60);

    /// <summary>Reads "DAYS HH:MM-HH:MM"; throws <see cref="FormatException"/> with the end of a sentence ("must be …").</summary>
    public static SpeedSchedule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2)
        {
            throw Invalid(text);
        }

        var days = ParseDays(parts[0]) ?? throw Invalid(text);
        var range = parts[1].Split('-');
        if (range.Length != 2 || ParseTime(range[0]) is not { } begin || ParseTime(range[1]) is not { } end)
        {
            throw Invalid(text);
        }

        return new SpeedSchedule(days, begin, end);
    }

    /// <summary>Transmission's fields: begin and end in minutes after midnight (0-1439), days as a mask (1-127).</summary>
    public static SpeedSchedule FromTransmission(int days, int beginMinute, int endMinute)
    {
        if (days is < 1 or > AllDays)
        {
            throw new FormatException($"alt-speed-time-day must be a day mask from 1 (Sunday) to 127 (every day), not {days}");
        }

        if (beginMinute is < 0 or >= 24 * 60 || endMinute is < 0 or >= 24 * 60)
        {
            throw new FormatException($"alt-speed-time-begin and alt-speed-time-end must be minutes after midnight from 0 to 1439, not {beginMinute} and {endMinute}");
        }

        return new SpeedSchedule(days, beginMinute, endMinute);
    }

    /// <summary>True when <paramref name="local"/> (the node's local time) falls in the schedule.</summary>
    public bool Covers(DateTimeOffset local)
    {
        var minute = (local.Hour * 60) + local.Minute;
        var today = 1 << (int)local.DayOfWeek;
        var yesterday = 1 << (((int)local.DayOfWeek + 6) % 7);
        if (BeginMinute == EndMinute)
        {
            return (Days & today) != 0;
        }

        if (BeginMinute < EndMinute)
        {
            return (Days & today) != 0 && minute >= BeginMinute && minute < EndMinute;
        }

        // Past midnight: the evening part on a listed day, the morning part after one.
        return ((Days & today) != 0 && minute >= BeginMinute) || ((Days & yesterday) != 0 && minute < EndMinute);
    }

    public override string ToString() => $"{DaysText()} {Time(BeginMinute)}-{Time(EndMinute)}";

    private string DaysText()
    {
        switch (Days)
        {
            case AllDays:
                return "all";
            case Weekdays:
                return "weekdays";
            case Weekend:
                return "weekend";
        }

        // Monday first, as people write weeks.
        return string.Join(',', Enumerable.Range(0, 7).Select(i => (i + 1) % 7).Where(day => (Days & (1 << day)) != 0).Select(day => DayNames[day]));
    }

    private static string Time(int minute) => string.Create(CultureInfo.InvariantCulture, $"{minute / 60:00}:{minute % 60:00}");

    private static int? ParseDays(string text)
    {
        switch (text.ToLowerInvariant())
        {
            case "all" or "daily" or "everyday":
                return AllDays;
            case "weekdays":
                return Weekdays;
            case "weekend" or "weekends":
                return Weekend;
        }

        var mask = 0;
        foreach (var item in text.ToLowerInvariant().Split(','))
        {
            var ends = item.Split('-');
            if (ends.Length is < 1 or > 2 || DayOf(ends[0]) is not { } first || DayOf(ends[^1]) is not { } last)
            {
                return null;
            }

            // A range may wrap past Saturday: mon-sun and fri-mon both read naturally.
            for (var day = first; ; day = (day + 1) % 7)
            {
                mask |= 1 << day;
                if (day == last)
                {
                    break;
                }
            }
        }

        return mask == 0 ? null : mask;
    }

    private static int? DayOf(string name)
    {
        var index = Array.IndexOf(DayNames, name.Length >= 3 ? name[..3] : name);
        return index < 0 || !IsDayName(name) ? null : index;
    }

    private static bool IsDayName(string name) =>
        name.Length >= 3 && CultureInfo.InvariantCulture.DateTimeFormat.DayNames.Any(full => full.StartsWith(name, StringComparison.OrdinalIgnoreCase));

    private static int? ParseTime(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 2 || parts[0].Length is < 1 or > 2 || parts[1].Length != 2
            || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var hour)
            || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minute))
        {
            return null;
        }

        // 24:00 is accepted as the end of the day, the same instant as 00:00.
        return hour == 24 && minute == 0 ? 0 : hour < 24 && minute < 60 ? (hour * 60) + minute : null;
    }

    private static FormatException Invalid(string text) =>
        new($"must be days and a time range such as \"all 09:00-17:00\", \"weekdays 22:00-07:00\" or \"mon,wed,fri-sun 18:00-23:30\" (days: all, weekdays, weekend, mon … sun), not '{Sentences.Shorten(text, 60)}'");
}
