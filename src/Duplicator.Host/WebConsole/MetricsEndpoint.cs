using Duplicator.Host.Serving;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;

namespace Duplicator.Host.WebConsole;

/// <summary>
/// OpenTelemetry metrics of the tower (<see cref="TowerTelemetry"/>'s meter and the ledger's, <see cref="Duplicator.Actors.Batches.LedgerMetrics"/>) exported for Prometheus at
/// <c>GET /metrics</c> on the control API's address, behind its token like every other request. See docs/metrics.md.
/// </summary>
public static class MetricsEndpoint
{
    /// <summary>Where Prometheus scrapes.</summary>
    public const string Path = "/metrics";

    /// <summary>Registers the meter provider with the Prometheus exporter.</summary>
    public static void AddTowerMetrics(this WebApplicationBuilder builder) =>
        builder.Services.AddOpenTelemetry().WithMetrics(m => m.AddMeter(TowerTelemetry.MeterName, Duplicator.Actors.Batches.LedgerMetrics.MeterName).AddPrometheusExporter());

    /// <summary>Maps the scrape endpoint.</summary>
    public static void MapTowerMetrics(this WebApplication app) => app.MapPrometheusScrapingEndpoint(Path);
}
