# syntax=docker/dockerfile:1
#
# The image of the order example's worker (examples/order/worker), a worker program built with
# the SDK the way a user builds one. It is also the template for shipping your own worker:
# change the package path below and keep the rest.
#
#   docker build -f deploy/worker.Dockerfile -t baton-worker-order .   # from the repository root
#   docker run --rm baton-worker-order --help
#
# Flags: --nats, --redis, --prefix, --types, --concurrency, --lease, --ack-wait, --http (probes
# and /metrics, such as :9090); BATON_NATS_URL, BATON_REDIS_URL and BATON_PREFIX are read when
# the flags are not given.

# Same build as deploy/Dockerfile; see the comments there.
ARG GO_VERSION=1.26

FROM golang:${GO_VERSION}-bookworm AS build
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
WORKDIR /src

COPY go.mod go.sum ./
RUN go mod download && go mod verify

COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags "-s -w" -o /out/worker ./examples/order/worker

FROM gcr.io/distroless/static-debian12:nonroot

ARG VERSION=dev
ARG REVISION=unknown
ARG CREATED=unknown
LABEL org.opencontainers.image.title="baton-worker-order" \
      org.opencontainers.image.description="Worker of Baton's order example (order.validate, order.charge, order.reserve, order.fraudCheck, order.ship), built with the Baton SDK" \
      org.opencontainers.image.source="https://github.com/batonhq/baton" \
      org.opencontainers.image.url="https://github.com/batonhq/baton" \
      org.opencontainers.image.documentation="https://github.com/batonhq/baton/blob/main/docs/workers.md" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"

COPY --from=build /out/worker /worker
USER 65532:65532

# Probes and /metrics when the worker is started with --http :9090.
EXPOSE 9090

# No shell, so no HEALTHCHECK: probe /healthz and /readyz on 9090 from outside.
ENTRYPOINT ["/worker"]
