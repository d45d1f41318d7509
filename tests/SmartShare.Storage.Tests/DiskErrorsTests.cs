namespace SmartShare.Storage.Tests;

public sealed class DiskErrorsTests
{
    private static IOException NoSpace() => new("No space left on device", 28);

    [Fact]
    public void A_full_disk_is_found_however_deep_the_download_wrapped_it()
    {
        var explained = DiskErrors.Explain(NoSpace(), "/data/downloads");
        var wrapped = new InvalidOperationException("The download failed.", new IOException("writing blob 7", explained));

        Assert.True(DiskErrors.CausedByFullDisk(wrapped, out var folder));
        Assert.Equal("/data/downloads", folder);

        Assert.True(DiskErrors.CausedByFullDisk(new IOException("outer", NoSpace()), out folder));
        Assert.Null(folder);
    }

    [Fact]
    public void Other_errors_are_not_taken_for_a_full_disk()
    {
        Assert.False(DiskErrors.CausedByFullDisk(new IOException("Permission denied", 13), out var folder));
        Assert.Null(folder);
        Assert.False(DiskErrors.CausedByFullDisk(new InvalidOperationException("x", new IOException("y", 5)), out _));
    }
}
