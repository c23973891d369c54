using System.Net;
using System.Text.Json;
using Duplicator.Host.Control;
using Duplicator.Host.Tests.Serving;
using Microsoft.Playwright;

namespace Duplicator.Host.Tests.WebConsole;

/// <summary>
/// The web console in a real browser (Debian's chromium through Playwright) against a real `duplicator serve` on
/// emulated drives, with a token: drive-3 has a `fail-write-at` fault, the others are sound.
/// </summary>
public sealed class ConsoleBrowserTests(ConsoleBrowser browser) : IClassFixture<ConsoleBrowser>, IAsyncLifetime
{
    private const string Token = "console-test-token";
    private ServeProcess _tower = null!;
    private string _source = null!;

    public async Task InitializeAsync()
    {
        _tower = new ServeProcess(drives: 3, speed: 2, token: Token, driveQuery: i => i == 3 ? "&fail-write-at=3000" : "");
        _source = Directory.CreateDirectory(Path.Combine(_tower.Dir, "master")).FullName;
        var payload = new byte[8_000_000];
        new Random(11).NextBytes(payload);
        File.WriteAllBytes(Path.Combine(_source, "payload.bin"), payload);
        File.WriteAllText(Path.Combine(_source, "readme.txt"), "console test");
        await _tower.StartAsync();
    }

    public Task DisposeAsync()
    {
        _tower.Dispose();
        return Task.CompletedTask;
    }

    private async Task<IPage> OpenAsync(int width = 1400, int height = 900, bool phone = false)
    {
        var page = await browser.PageAsync(width, height, phone);
        await page.GotoAsync(_tower.BaseAddress + "/");
        await page.FillAsync("#token-input", Token);
        await page.ClickAsync("#token-form button");
        await page.WaitForSelectorAsync(".tile[data-drive='drive-3']");
        return page;
    }

    private static async Task<string> StateOf(IPage page, string drive) =>
        await page.GetAttributeAsync($".tile[data-drive='{drive}']", "data-state") ?? "";

    [Fact]
    public async Task Without_the_token_only_the_prompt_is_shown_and_the_data_is_refused()
    {
        var page = await browser.PageAsync();
        await page.GotoAsync(_tower.BaseAddress + "/");
        await page.WaitForSelectorAsync("#token-prompt:not([hidden])");
        Assert.True(await page.IsVisibleAsync("#token-input"));
        Assert.False(await page.IsVisibleAsync("#app"));
        Assert.Equal(0, await page.Locator(".tile").CountAsync());
        Assert.Equal(0, await page.Locator(".batch").CountAsync());
        await ConsoleBrowser.ShotAsync(page, "console-token.png");

        // What the page would ask for is refused without the token, and with a wrong one.
        using var http = new HttpClient();
        foreach (var path in new[] { "/api/console", "/api/events", "/api/drives", "/metrics" })
            Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync(_tower.BaseAddress + path)).StatusCode);

        await page.FillAsync("#token-input", "not-the-token");
        await page.ClickAsync("#token-form button");
        await page.WaitForSelectorAsync("#token-error:has-text('refused')");
        Assert.False(await page.IsVisibleAsync("#app"));
        Assert.Equal(0, await page.Locator(".tile").CountAsync());

        await page.FillAsync("#token-input", Token);
        await page.ClickAsync("#token-form button");
        await page.WaitForSelectorAsync(".tile[data-drive='drive-1']");
        Assert.Equal(3, await page.Locator(".tile").CountAsync());
        Assert.False(await page.IsVisibleAsync("#token-prompt"));

        // Kept for the tab: a reload does not ask again.
        await page.ReloadAsync();
        await page.WaitForSelectorAsync(".tile[data-drive='drive-1']");
        Assert.False(await page.IsVisibleAsync("#token-prompt"));
    }

    [Fact]
    public async Task A_batch_submitted_from_the_form_runs_to_completed_with_tiles_moving_through_writing_and_verifying()
    {
        var page = await OpenAsync();
        Assert.Equal(3, await page.Locator(".tile").CountAsync());
        foreach (var id in new[] { "drive-1", "drive-2", "drive-3" })
            Assert.Contains(await page.TextContentAsync($".tile[data-drive='{id}'] .id") ?? "", id);
        // Every state a tile shows, as the page showed it (observed in the page, between two live updates too).
        await page.EvaluateAsync("""
            () => {
              window.seen = {};
              const note = () => document.querySelectorAll('.tile').forEach(t => (window.seen[t.dataset.drive] ??= new Set()).add(t.dataset.state));
              new MutationObserver(note).observe(document.getElementById('drive-grid'), { childList: true, subtree: true, attributes: true });
            }
            """);

        await page.CheckAsync("input[name='kind'][value='folder']");
        await page.FillAsync("#f-source", _source);
        await page.FillAsync("#f-copies", "4");
        await page.SelectOptionAsync("#f-verify", "true");
        await page.CheckAsync("#f-drives input[value='drive-1']");
        await page.CheckAsync("#f-drives input[value='drive-2']");
        await page.FillAsync("#f-id", "from-form");
        await page.ClickAsync("#submit-form button[type='submit']");
        await page.WaitForSelectorAsync(".field-error.flash:has-text('from-form')");

        await page.WaitForSelectorAsync(".tile[data-state='writing']");
        // The picture for docs/: a drive well into its disc (if the machine is fast, whatever it shows first).
        for (var until = DateTime.UtcNow.AddSeconds(20); DateTime.UtcNow < until; await Task.Delay(100))
            if (double.TryParse(await page.GetAttributeAsync(".tile[data-drive='drive-1'] .bar", "aria-valuenow"), System.Globalization.CultureInfo.InvariantCulture, out var p)
                && p >= 40 || await StateOf(page, "drive-1") != "writing")
                break;
        await page.EvaluateAsync("() => window.scrollTo(0, 0)");
        await ConsoleBrowser.ShotAsync(page, "console-drives.png");
        await page.WaitForSelectorAsync(".batch[data-batch='from-form'][data-state='completed']");

        var seen = await page.EvaluateAsync<Dictionary<string, string[]>>("() => Object.fromEntries(Object.entries(window.seen).map(([k, v]) => [k, [...v]]))");
        var states = seen.Where(kv => kv.Key is "drive-1" or "drive-2").SelectMany(kv => kv.Value).ToHashSet();
        Assert.Contains("writing", states);
        Assert.Contains("verifying", states);
        Assert.DoesNotContain("writing", seen.GetValueOrDefault("drive-3") ?? []); // not one of the batch's drives

        // The page's numbers are the ledger's.
        using var client = _tower.Client();
        var ledger = await client.BatchAsync("from-form", CancellationToken.None);
        Assert.Equal("completed", ledger.Batch.State);
        Assert.Equal(4, ledger.Batch.Good);
        Assert.Contains("4 / 4", await page.TextContentAsync(".batch[data-batch='from-form'] .good") ?? "");
        await page.ClickAsync(".batch[data-batch='from-form'] button[data-action='ledger']");
        await page.WaitForSelectorAsync("#ledger tbody tr");
        var rows = page.Locator("#ledger tbody tr[data-state='completed']");
        Assert.Equal(4, await rows.CountAsync());
        var sha = ledger.Discs.First(d => d.State == "completed").Sha256!;
        Assert.Contains(sha, await page.TextContentAsync("#ledger") ?? "");
        await ConsoleBrowser.ShotAsync(page, "console-batches.png", fullPage: true);

        // The same picture on a phone-sized screen: one column of tiles, nothing wider than the screen.
        var phone = await OpenAsync(390, 844, phone: true);
        await phone.WaitForSelectorAsync(".batch[data-batch='from-form']");
        var width = await phone.EvaluateAsync<int>("() => document.documentElement.scrollWidth");
        Assert.True(width <= 390, $"the page is {width} px wide on a 390 px screen");
        await ConsoleBrowser.ShotAsync(phone, "console-phone.png");
    }

    [Fact]
    public async Task A_bad_submission_shows_the_API_message_beside_the_field_at_fault()
    {
        var page = await OpenAsync();
        await page.FillAsync("#f-source", _source);
        await page.FillAsync("#f-copies", "0");
        await page.ClickAsync("#submit-form button[type='submit']");
        var copies = page.Locator(".field-error[data-for='copies']");
        await copies.WaitForAsync();
        Assert.StartsWith("copies: 0 is not a whole number from 1 to", await copies.TextContentAsync());
        Assert.True(await page.Locator(".field[data-field='copies'].has-error").IsVisibleAsync());
        Assert.Equal("", await page.TextContentAsync(".field-error[data-for='source']"));

        // A folder outside the allowed roots: the message goes beside the source, the copies error is gone.
        await page.FillAsync("#f-source", "/etc");
        await page.FillAsync("#f-copies", "2");
        await page.ClickAsync("#submit-form button[type='submit']");
        var source = page.Locator(".field-error[data-for='source']");
        await page.WaitForSelectorAsync(".field-error[data-for='source']:not(:empty)");
        Assert.Contains("outside the allowed roots", await source.TextContentAsync());
        Assert.StartsWith("folder: '/etc'", await source.TextContentAsync());
        Assert.Equal("", await copies.TextContentAsync());
        await page.Locator("#submit").ScrollIntoViewIfNeededAsync();
        await ConsoleBrowser.ShotAsync(page, "console-submit-error.png");

        using var client = _tower.Client();
        Assert.Empty(await client.BatchesAsync(CancellationToken.None)); // nothing was made of either
    }

    [Fact]
    public async Task A_drive_failing_every_write_goes_to_quarantine_and_the_button_puts_it_back()
    {
        using var client = _tower.Client();
        await client.SubmitAsync(JsonSerializer.Serialize(new { schema = "duplicator.job/1", id = "bad-bay", folder = _source, copies = 5, drives = new[] { "drive-3" } }),
            CancellationToken.None);
        var page = await OpenAsync();
        await page.WaitForSelectorAsync(".tile[data-drive='drive-3'][data-state='quarantined']");
        var failure = await page.TextContentAsync(".tile[data-drive='drive-3'] .failure") ?? "";
        Assert.Contains("03/0C/00", failure); // the sense of the failed WRITE
        Assert.Contains("at LBA 3000", failure);
        Assert.Equal("0", (await page.TextContentAsync(".tile[data-drive='drive-3'] .counts .g"))?.Split(' ')[1]);
        await ConsoleBrowser.ShotAsync(page, "console-quarantine.png");

        // The batch may only use drive-3: stop it first, or the drive is back in quarantine after three more failures.
        using (var http = new HttpClient())
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", Token);
            Assert.Equal(HttpStatusCode.OK, (await http.PostAsync(_tower.BaseAddress + "/api/batches/bad-bay/cancel", null)).StatusCode);
        }
        await page.WaitForSelectorAsync(".batch[data-batch='bad-bay'][data-state='cancelled']");
        await page.ClickAsync(".tile[data-drive='drive-3'] button[data-action='clear']");
        await page.WaitForSelectorAsync(".tile[data-drive='drive-3']:not([data-state='quarantined'])");
        Assert.Equal(0, await page.Locator(".tile[data-drive='drive-3'] button[data-action='clear']").CountAsync());
        var drive = (await client.DrivesAsync(CancellationToken.None)).Single(d => d.Id == "drive-3");
        Assert.False(drive.Quarantined);
        Assert.NotEqual("quarantined", await StateOf(page, "drive-3"));
    }

    [Fact]
    public async Task Cancel_in_the_batch_list_cancels_the_batch()
    {
        using var client = _tower.Client();
        await client.SubmitAsync(JsonSerializer.Serialize(new { schema = "duplicator.job/1", id = "long-run", folder = _source, copies = 200, drives = new[] { "drive-1", "drive-2" } }),
            CancellationToken.None);
        var page = await OpenAsync();
        await page.WaitForSelectorAsync(".batch[data-batch='long-run'][data-state='running']");
        page.Dialog += (_, dialog) => dialog.AcceptAsync(); // "Cancel batch long-run?"
        await page.ClickAsync(".batch[data-batch='long-run'] button[data-action='cancel']");
        await page.WaitForSelectorAsync(".batch[data-batch='long-run'][data-state='cancelled']");
        var batch = await client.BatchAsync("long-run", CancellationToken.None);
        Assert.Equal("cancelled", batch.Batch.State);
        Assert.True(batch.Batch.Good < 200);
        Assert.Equal(0, await page.Locator(".batch[data-batch='long-run'] button[data-action='cancel']").CountAsync());
    }
}
