using System.Collections.Immutable;
using System.Net;
using System.Text.Json;
using Akka.Actor;
using Duplicator.Actors.Batches;
using Duplicator.Actors.Supervision;
using Duplicator.Host.Configuration;
using Duplicator.Host.Control;
using Duplicator.Host.Serving;
using Duplicator.Mastering.Imapi;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Duplicator.Host.Tests.Serving;

/// <summary>The seam between the control API and the tower actor: asks that time out, and the views of ledger records.</summary>
public sealed class ActorTowerTests
{
    private static readonly BatchDefaults Defaults = new(true, 0, 3, 3, true);

    [Fact]
    public async Task A_tower_that_does_not_answer_in_time_is_a_503_with_a_problem_body_not_a_500()
    {
        using var sys = ActorSystem.Create("silent");
        var silent = sys.ActorOf(Props.Empty, "tower"); // takes every message, answers none
        var tower = new ActorTower(silent, Defaults, TimeSpan.FromMilliseconds(200));
        var app = ControlApi.Build("http://127.0.0.1:0", null, [], Path.GetTempPath(), tower);
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            foreach (var path in new[] { "/api/batches", "/api/drives", "/api/batches/b1" })
            {
                var r = await http.GetAsync(path);
                Assert.Equal(HttpStatusCode.ServiceUnavailable, r.StatusCode);
                var body = JsonDocument.Parse(await r.Content.ReadAsStringAsync()).RootElement;
                Assert.Equal(503, body.GetProperty("status").GetInt32());
                Assert.Contains("did not answer", body.GetProperty("problems")[0].GetString());
            }
        }
        finally
        {
            await app.StopAsync();
        }
    }

    [Fact]
    public async Task An_ask_cancelled_by_the_caller_stops_waiting()
    {
        using var sys = ActorSystem.Create("silent2");
        var tower = new ActorTower(sys.ActorOf(Props.Empty), Defaults, TimeSpan.FromMinutes(5));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(100));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => tower.BatchesAsync(cts.Token));
    }

    [Fact]
    public void A_failed_disc_shows_its_IMAPI_code_sense_and_LBA_and_a_failed_batch_its_reason()
    {
        var error = new DiscError(ImapiError.CannotWriteToMedia, new SenseCode(0x03, 0x0C, 0x00), 123456);
        var disc = ActorTower.View(new DiscEntry(2, "drive-3", DiscState.Failed, null, "IMAPI_E_CANNOTWRITETOMEDIA: drive-3: WRITE(10) failed", error));
        Assert.Equal(("failed", "IMAPI_E_CANNOTWRITETOMEDIA", "03/0C/00", 123456L), (disc.State, disc.Code, disc.Sense, disc.Lba));
        Assert.Equal("03/0C/00 write error at LBA 123456 on drive-3", disc.Detail);

        var spec = new BatchSpec("b1", SourceKind.Folder, ["/srv/photos"], 4, new BatchOptions(true, 0, 3, true, []));
        var failed = BatchLogic.Replay([
            new BatchSubmitted(spec, DateTimeOffset.UnixEpoch), new BatchFinished("b1", false, "3 discs failed, the threshold is 3"),
        ]);
        var view = ActorTower.View(Tower.BatchInfo.Of("b1", failed, DateTimeOffset.UnixEpoch), []);
        Assert.Equal(("failed", "3 discs failed, the threshold is 3", "folder /srv/photos"), (view.State, view.Reason, view.Source));
    }

    [Fact]
    public void A_batch_whose_ledger_has_not_answered_shows_as_recovering_never_as_new()
    {
        var view = ActorTower.View(new Tower.BatchInfo("b1", null, DateTimeOffset.UnixEpoch, BatchStatus.New, false, 0, 0, 0, 0, null), []);
        Assert.Equal("recovering", view.State);
    }

    [Fact]
    public void Job_kinds_and_audio_modes_become_the_actors_enums()
    {
        var request = new Duplicator.Host.Jobs.JobRequest(null, Duplicator.Host.Jobs.JobSourceKind.Audio, ["/a.wav"], 1, null, null, null, null, [], null, null,
            Duplicator.Drivers.Imapi.AudioWriteMode.DiscAtOnce);
        var spec = ActorTower.ToSpec("a1", request, Defaults);
        Assert.Equal(SourceKind.Audio, spec.Source);
        Assert.Equal(Duplicator.Drivers.Imapi.AudioWriteMode.DiscAtOnce, spec.Options.AudioMode);
        Assert.True(spec.Options.DiscAtOnce);
    }
}
