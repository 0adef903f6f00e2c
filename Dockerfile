# The `workers` image: one executable for `workers run` (a worker), `workers sync` and `workers dlq`.
#   docker build -t workers .
#   docker run --rm -e WORKERS_BROKER_URL=amqp://... -v ./examples/fleet:/config:ro workers run /config/postgres.yml

# Build. (Docker cannot copy src/*/*.csproj keeping their folders, so the restore is not a layer of its own.)
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /repo
COPY global.json nuget.config Directory.Build.props Directory.Packages.props ./
COPY src/ src/
RUN dotnet publish src/Workers.Cli/Workers.Cli.csproj -c Release -o /app

# Run: the ASP.NET Core runtime (the worker serves /healthz, /readyz, /metrics), as the image's non-root user.
FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app ./
ENV WORKERS_HTTP_PORT=8080 \
    DOTNET_CLI_TELEMETRY_OPTOUT=1
EXPOSE 8080
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/workers.dll"]
CMD ["--help"]
