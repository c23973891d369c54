using Duplicator.Mastering.Imapi;

namespace Duplicator.Host.Commands;

/// <summary>Process exit codes of the CLI.</summary>
internal static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;
    /// <summary>The request failed: bad input, a full disc, a drive error. The message says which.</summary>
    public const int Failed = 1;
    /// <summary>The command line itself is wrong (System.CommandLine's parse errors also exit non-zero).</summary>
    public const int Usage = 2;
    /// <summary>The operator cancelled (Ctrl+C).</summary>
    public const int Cancelled = 130;
}

/// <summary>Runs a command body and turns the project's typed failures into one clear stderr line and an exit code.</summary>
internal static class Cli
{
    public static int Run(Func<CancellationToken, int> body)
    {
        using var cts = new CancellationTokenSource();
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        Console.CancelKeyPress += onCancel;
        try
        {
            return body(cts.Token);
        }
        catch (ImapiException e) when (e.Code == ImapiError.UserAbort)
        {
            Console.Error.WriteLine($"duplicator: cancelled ({e.ImapiName}): {e.Message}");
            return ExitCodes.Cancelled;
        }
        catch (ImapiException e)
        {
            Console.Error.WriteLine($"duplicator: {e.ImapiName}: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Configuration.ConfigException e)
        {
            Console.Error.WriteLine($"duplicator: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Jobs.JobRejectedException e)
        {
            Console.Error.WriteLine($"duplicator: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (Control.ControlException e)
        {
            Console.Error.WriteLine($"duplicator: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("duplicator: cancelled");
            return ExitCodes.Cancelled;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"duplicator: {e.Message}");
            return ExitCodes.Failed;
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }
}
