# Builds the postgate executable and installs it with its SQL files and the API's spec.
ARG SWIFT_IMAGE=swift:6.3-bookworm
FROM ${SWIFT_IMAGE} AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift openapi.yaml ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product postgate --static-swift-stdlib \
    && mkdir -p /staging && cp .build/release/postgate /staging/ && cp -R .build/release/*.resources /staging/

# Runs on a slim Debian with libpq, as an unprivileged user.
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home postgate
COPY --from=build /staging/ /usr/local/bin/
COPY sql /usr/local/share/postgate/sql
USER postgate
EXPOSE 8080
ENTRYPOINT ["postgate"]
CMD ["--help"]
