# Builds the postgate executable (the API's spec is compiled in) and installs it with its SQL files and the console's files.
ARG SWIFT_IMAGE=swift:6.3-bookworm
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product postgate --static-swift-stdlib

# Runs on a slim Debian with libpq, as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home postgate
COPY --from=build /src/.build/release/postgate /usr/local/bin/postgate
COPY sql /usr/local/share/postgate/sql
COPY console /usr/local/share/postgate/console
USER postgate
EXPOSE 8080
ENTRYPOINT ["postgate"]
CMD ["--help"]
