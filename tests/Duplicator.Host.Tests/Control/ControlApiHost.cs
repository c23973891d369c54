using Duplicator.Host.Control;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Duplicator.Host.Tests.Control;

/// <summary>The real control API (Kestrel on a free loopback port) over a tower, as the API tests start it.</summary>
public static class ControlApiHost
{
    /// <summary>Builds and starts the API (allowed roots: <c>root/input</c>) and a client for its address.</summary>
    public static async Task<(WebApplication App, HttpClient Http)> StartAsync(ITower tower, string root, string? token = null)
    {
        var app = ControlApi.Build("http://127.0.0.1:0", token, [Path.Combine(root, "input")], root, tower);
        await app.StartAsync();
        return (app, new HttpClient { BaseAddress = Address(app) });
    }

    /// <summary>Where a started app listens.</summary>
    public static Uri Address(WebApplication app) => new(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
}
