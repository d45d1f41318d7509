using System.Buffers.Binary;
using System.Text.Json;
using Microsoft.Playwright;

namespace SmartShare.Web.Tests.Ui;

/// <summary>Playing a transfer in the page: an audio element on /stream/{key}, and its first bytes by Range.</summary>
public sealed class UiPlayTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_shared_sound_plays_in_the_detail_pane_and_its_first_bytes_come_by_range()
    {
        await using var node = await WebNode.StartAsync();
        var wav = Wave(seconds: 2, sampleRate: 8000);
        var path = Path.Combine(node.Root, "tone.wav");
        await File.WriteAllBytesAsync(path, wav);
        var key = (await UiNodes.ShareAsync(node, path))["sd_hash"]!.GetValue<string>();

        await using var ui = await UiSession.OpenAsync(browser, node.Origin);
        await ui.Row(key).GetByRole(AriaRole.Button, new() { Name = "tone.wav: details" }).ClickAsync();
        await ui.Page.GetByTestId("detail-pane").GetByRole(AriaRole.Button, new() { Name = "Play tone.wav" }).ClickAsync();

        var player = ui.Page.GetByTestId("player");
        Assert.Equal("audio", await player.EvaluateAsync<string>("e => e.tagName.toLowerCase()"));
        Assert.Equal($"/stream/{key}", await player.GetAttributeAsync("src"));
        await ui.WaitAsync("() => { const a = document.querySelector('[data-testid=player]'); return a && a.readyState >= 1 && Math.abs(a.duration - 2) < 0.05; }");

        // The same URL answers a Range request with just those bytes: the start of the RIFF header.
        var first = await ui.Page.EvaluateAsync<JsonElement>(
            """
            async src => {
              const answer = await fetch(src, { headers: { Range: 'bytes=0-15' } });
              return { status: answer.status, bytes: [...new Uint8Array(await answer.arrayBuffer())] };
            }
            """,
            $"/stream/{key}");
        Assert.Equal(206, first.GetProperty("status").GetInt32());
        Assert.Equal(wav[..16], first.GetProperty("bytes").EnumerateArray().Select(b => (byte)b.GetInt32()).ToArray());
        Assert.Empty(ui.Errors);
    }

    /// <summary>A PCM WAV file of a 440 Hz tone: 16-bit mono.</summary>
    private static byte[] Wave(int seconds, int sampleRate)
    {
        var samples = seconds * sampleRate;
        var bytes = new byte[44 + (samples * 2)];
        var span = bytes.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], bytes.Length - 8);
        "WAVEfmt "u8.CopyTo(span[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], sampleRate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], 16);
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], samples * 2);
        for (var i = 0; i < samples; i++)
        {
            var value = (short)(Math.Sin(2 * Math.PI * 440 * i / sampleRate) * 8000);
            BinaryPrimitives.WriteInt16LittleEndian(span[(44 + (i * 2))..], value);
        }

        return bytes;
    }
}
