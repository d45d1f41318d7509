using Microsoft.Extensions.Time.Testing;
using SmartShare.Node.Limits;
using SmartShare.Node.Settings;
using SmartShare.Node.Transfers;

namespace SmartShare.Node.Tests.Limits;

public sealed class SpeedScheduleTests : IDisposable
{
    private readonly NodeTestDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData("all 09:00-17:00", 127, 540, 1020, "all 09:00-17:00")]
    [InlineData("  Weekdays   22:00-07:30 ", 62, 1320, 450, "weekdays 22:00-07:30")]
    [InlineData("weekend 00:00-24:00", 65, 0, 0, "weekend 00:00-00:00")]
    [InlineData("mon,wed,fri-sun 18:00-23:30", 1 + 2 + 8 + 32 + 64, 1080, 1410, "mon,wed,fri,sat,sun 18:00-23:30")]
    [InlineData("Tuesday 7:05-8:00", 4, 425, 480, "tue 07:05-08:00")]
    [InlineData("sat-mon 01:00-02:00", 1 + 2 + 64, 60, 120, "mon,sat,sun 01:00-02:00")]
    public void Reads_days_and_a_time_range_and_writes_them_back_plainly(string text, int days, int begin, int end, string written)
    {
        var schedule = SpeedSchedule.Parse(text);

        Assert.Equal(new SpeedSchedule(days, begin, end), schedule);
        Assert.Equal(written, schedule.ToString());
        Assert.Equal(schedule, SpeedSchedule.Parse(schedule.ToString()));
    }

    [Theory]
    [InlineData("")]
    [InlineData("all")]
    [InlineData("09:00-17:00")]
    [InlineData("someday 09:00-17:00")]
    [InlineData("mo 09:00-17:00")]
    [InlineData("all 9-17")]
    [InlineData("all 24:30-01:00")]
    [InlineData("all 09:60-10:00")]
    [InlineData("all 09:00-10:00-11:00")]
    [InlineData("mon,,tue 09:00-10:00")]
    [InlineData("all 09:00 - 10:00")]
    public void Refuses_anything_else_with_a_sentence_showing_the_form(string text)
    {
        var error = Assert.Throws<FormatException>(() => SpeedSchedule.Parse(text));

        Assert.StartsWith("must be days and a time range such as \"all 09:00-17:00\"", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    // Wednesday 2026-12-02.
    [InlineData("weekdays 09:00-17:00", "2026-12-02T08:59", false)]
    [InlineData("weekdays 09:00-17:00", "2026-12-02T09:00", true)]
    [InlineData("weekdays 09:00-17:00", "2026-12-02T16:59", true)]
    [InlineData("weekdays 09:00-17:00", "2026-12-02T17:00", false)]
    [InlineData("weekdays 09:00-17:00", "2026-12-05T12:00", false)]
    // Past midnight: Friday night belongs to Friday, so Saturday morning is in it, Monday morning (after Sunday) is not.
    [InlineData("fri 22:00-07:00", "2026-12-04T23:30", true)]
    [InlineData("fri 22:00-07:00", "2026-12-05T06:59", true)]
    [InlineData("fri 22:00-07:00", "2026-12-05T07:00", false)]
    [InlineData("fri 22:00-07:00", "2026-12-04T06:00", false)]
    [InlineData("sun 00:00-00:00", "2026-12-06T23:59", true)]
    [InlineData("sun 00:00-00:00", "2026-12-07T00:00", false)]
    public void Covers_the_listed_days_within_the_range(string text, string local, bool covered)
    {
        var at = new DateTimeOffset(DateTime.Parse(local, System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromHours(1));

        Assert.Equal(covered, SpeedSchedule.Parse(text).Covers(at));
    }

    [Fact]
    public void Transmissions_form_is_checked()
    {
        Assert.Equal("weekend 22:00-07:00", SpeedSchedule.FromTransmission(65, 1320, 420).ToString());
        Assert.Throws<FormatException>(() => SpeedSchedule.FromTransmission(0, 0, 0));
        Assert.Throws<FormatException>(() => SpeedSchedule.FromTransmission(127, 1440, 0));
    }

    [Fact]
    public void The_schedule_switches_the_node_to_its_alternative_limits_on_the_local_clock()
    {
        // Wednesday 2026-12-02 21:59 in a zone one hour east of UTC.
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 2, 20, 59, 0, TimeSpan.Zero));
        time.SetLocalTimeZone(TimeZoneInfo.CreateCustomTimeZone("test", TimeSpan.FromHours(1), "test", "test"));
        var flags = new Dictionary<string, System.Text.Json.Nodes.JsonNode?>
        {
            [NodeSettingKeys.MaxDownloadRate] = 4000,
            [NodeSettingKeys.MaxUploadRate] = 3000,
            [NodeSettingKeys.AltDownloadRate] = 100,
            [NodeSettingKeys.AltUploadRate] = 0,
            [NodeSettingKeys.AltSpeedScheduleEnabled] = true,
            [NodeSettingKeys.AltSpeedSchedule] = "weekdays 22:00-07:00",
        };
        var data = Directory.CreateDirectory(_directory.File("data")).FullName;
        var settings = NodeSettingsStore.Load(data, flags, _ => null);
        using var limits = new BandwidthLimits(settings, TransferLimitStore.Open(data), time);
        var key = new TransferKey(TransferNetwork.Torrent, new string('a', 40));
        limits.Set(key, new TransferLimits(50, null));

        var before = (limits.AltSpeedActive, limits.Download.BytesPerSecond, limits.Upload.BytesPerSecond);
        time.Advance(TimeSpan.FromMinutes(1));
        var during = (limits.AltSpeedActive, limits.Download.BytesPerSecond, limits.Upload.BytesPerSecond);

        Assert.Equal((false, 4000 * 1024L, 3000 * 1024L), before);
        Assert.Equal((true, 100 * 1024L, 0L), during);
        Assert.Equal(50 * 1024L, limits.For(key).Download.BytesPerSecond);
        Assert.Same(limits.Download, limits.For(key).Download.Parent);
        Assert.Same(limits.Upload, limits.UploadFor([new TransferKey(TransferNetwork.Stream, new string('b', 96)), key]));
    }
}
