using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Duplicator.Host.Control.Images;
using Duplicator.Host.Tests.Serving;
using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Tests.Control;

/// <summary>
/// `duplicator serve` as a real process answers <c>GET /api/images/{sha256}</c> from its own ledger: the running
/// batch's staged image, by the content hash its discs verified as, fetched whole by <see cref="HttpImageFetcher"/>;
/// nothing once the batch has ended.
/// </summary>
public sealed class ImageServeTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(180);

    private static async Task<T> Until<T>(Func<Task<T>> read, Func<T, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + Long;
        while (true)
        {
            var value = await read();
            if (condition(value)) return value;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: {JsonSerializer.Serialize(value)}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task A_running_batchs_staged_image_is_fetched_by_its_ledger_hash_and_a_finished_one_is_not_served()
    {
        using var tower = new ServeProcess(drives: 1, speed: 1, token: "t0ken");
        var src = Directory.CreateDirectory(Path.Combine(tower.Dir, "src")).FullName;
        File.WriteAllBytes(Path.Combine(src, "payload.bin"), RandomNumberGenerator.GetBytes(3_000_000));
        await tower.StartAsync();
        using var client = tower.Client();
        var job = JsonSerializer.Serialize(new { schema = "duplicator.job/2", id = "floor", folder = src, copies = 50 });
        await client.SubmitAsync(job, CancellationToken.None);
        // The first good disc's verified hash is the image's content hash (the ledger's).
        var first = await Until(() => client.BatchAsync("floor", CancellationToken.None), b => b.Discs.Any(d => d.State == "completed"), "first good disc");
        var sha = first.Discs.First(d => d.State == "completed").Sha256!;
        await client.PauseBatchAsync("floor", true, CancellationToken.None); // it keeps running, no new disc

        var staged = Assert.Single(Directory.GetFiles(Path.Combine(tower.Dir, "stash"), "*.iso", SearchOption.AllDirectories));
        var target = Path.Combine(Directory.CreateDirectory(Path.Combine(tower.Dir, "elsewhere")).FullName, "image.iso");
        using var fetcher = new HttpImageFetcher(tower.Token);
        await fetcher.FetchAsync(new Uri(tower.BaseAddress), sha.ToLowerInvariant(), new FileInfo(staged).Length, target, CancellationToken.None);
        Assert.Equal(await File.ReadAllBytesAsync(staged), await File.ReadAllBytesAsync(target));
        Assert.Equal(sha, Convert.ToHexString(SHA256.HashData(await File.ReadAllBytesAsync(target))), ignoreCase: true);

        using var http = new HttpClient { BaseAddress = new Uri(tower.BaseAddress) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", tower.Token);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/api/images/{new string('0', 64)}")).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await http.PostAsync("/api/batches/floor/cancel", null)).StatusCode);
        await Until(() => client.BatchAsync("floor", CancellationToken.None), b => b.Batch.IsFinished, "cancelled");
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync($"/api/images/{sha}")).StatusCode);
        var e = await Assert.ThrowsAsync<ImapiException>(() =>
            fetcher.FetchAsync(new Uri(tower.BaseAddress), sha.ToLowerInvariant(), new FileInfo(target).Length, target + ".again", CancellationToken.None));
        Assert.Equal(ImapiError.SourceUnreadable, e.Code);
    }
}
