using Microsoft.Playwright;

namespace SmartShare.Web.Tests.Ui;

/// <summary>Drops a file on the page as a user dragging it from the desktop would: dragenter, dragover, drop.</summary>
internal static class UiDrop
{
    public static async Task DropFileAsync(IPage page, string name, byte[] content)
    {
        var dataTransfer = await page.EvaluateHandleAsync(
            """
            ([name, base64]) => {
              const bytes = Uint8Array.from(atob(base64), c => c.charCodeAt(0));
              const transfer = new DataTransfer();
              transfer.items.add(new File([bytes], name, { type: 'application/octet-stream' }));
              return transfer;
            }
            """,
            new object[] { name, Convert.ToBase64String(content) });
        var init = new Dictionary<string, object> { ["dataTransfer"] = dataTransfer };
        await page.DispatchEventAsync("body", "dragenter", init);
        await page.DispatchEventAsync("body", "dragover", init);
        await page.Locator(".drop-overlay").WaitForAsync();
        await page.DispatchEventAsync("body", "drop", init);
        await page.Locator(".drop-overlay").WaitForAsync(new LocatorWaitForOptions { State = WaitForSelectorState.Detached });
    }
}
