package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/batonhq/baton/pkg/baton"
	"github.com/batonhq/baton/telemetry"
)

// globals are the connection and logging flags every command shares.
type globals struct {
	natsURL    string
	redisURL   string
	prefix     string
	logLevel   string
	logJSON    bool
	external   []string
	otlp       string
	api, token string
	configFile string
	// flags are the global flags, to tell a flag given as its zero value from one not given.
	flags *pflag.FlagSet
	// Credentials and TLS of NATS and Redis.
	nats  natsAuth
	redis redisAuth
}

// natsAuth and redisAuth are the credential and TLS flags.
type natsAuth struct{ user, password, token, nkey, creds, ca, cert, key string }
type redisAuth struct {
	user, password, ca, cert, key, master string
	// wait is the durability the writes wait for (--redis-wait-*).
	wait    baton.Durability
	cluster bool
}

func newRootCommand() *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "baton",
		Short: "Baton runs BPMN processes with asynchronous continuations on NATS JetStream and Redis",
		Long: `Baton runs BPMN 2.0 processes with asynchronous continuations. Jobs travel on NATS
JetStream, one subject per task type; process state and its optimistic version live in Redis.

Quick start:   baton dev                      (embedded NATS and Redis, runs the order example)
Production:    baton server, and worker pods built with the Go SDK (or baton worker)

Connection flags fall back to BATON_NATS_URL, BATON_REDIS_URL and BATON_PREFIX, credentials
and TLS files to BATON_NATS_* and BATON_REDIS_*, and --external-types to BATON_EXTERNAL_TYPES.
--config FILE (or BATON_CONFIG) sets any flag from a YAML file; the command line wins over it,
and it wins over the environment.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	pf := root.PersistentFlags()
	g.flags = pf
	pf.StringVar(&g.natsURL, "nats", "", "NATS URL or comma-separated seed list (env BATON_NATS_URL; default nats://127.0.0.1:4222)")
	pf.StringVar(&g.redisURL, "redis", "", "Redis URL, redis:// or rediss:// (env BATON_REDIS_URL; default redis://127.0.0.1:6379)")
	pf.StringVar(&g.prefix, "prefix", "", "Redis key prefix (env BATON_PREFIX; default baton:)")
	pf.StringVar(&g.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.BoolVar(&g.logJSON, "log-json", false, "log JSON lines instead of console text")
	pf.StringVar(&g.configFile, "config", "", "YAML file of settings: flag names to values; flags given here win over it, and it wins over the environment (env BATON_CONFIG)")
	pf.StringVar(&g.nats.user, "nats-user", "", "NATS user (env BATON_NATS_USER)")
	pf.StringVar(&g.nats.password, "nats-password", "", "NATS password; prefer the environment or --config, which ps does not show (env BATON_NATS_PASSWORD)")
	pf.StringVar(&g.nats.token, "nats-token", "", "NATS token (env BATON_NATS_TOKEN)")
	pf.StringVar(&g.nats.nkey, "nats-nkey", "", "NATS nkey seed file (env BATON_NATS_NKEY)")
	pf.StringVar(&g.nats.creds, "nats-creds", "", "NATS credentials file, user JWT and seed (env BATON_NATS_CREDS)")
	pf.StringVar(&g.nats.ca, "nats-ca", "", "CA bundle to verify NATS with (env BATON_NATS_CA)")
	pf.StringVar(&g.nats.cert, "nats-cert", "", "client certificate for NATS mutual TLS (env BATON_NATS_CERT)")
	pf.StringVar(&g.nats.key, "nats-key", "", "client key for NATS mutual TLS (env BATON_NATS_KEY)")
	pf.StringVar(&g.redis.user, "redis-user", "", "Redis ACL user (env BATON_REDIS_USER)")
	pf.StringVar(&g.redis.password, "redis-password", "", "Redis password; prefer the environment or --config (env BATON_REDIS_PASSWORD)")
	pf.StringVar(&g.redis.ca, "redis-ca", "", "CA bundle to verify Redis with; TLS even on redis:// (env BATON_REDIS_CA)")
	pf.StringVar(&g.redis.cert, "redis-cert", "", "client certificate for Redis mutual TLS (env BATON_REDIS_CERT)")
	pf.StringVar(&g.redis.key, "redis-key", "", "client key for Redis mutual TLS (env BATON_REDIS_KEY)")
	pf.BoolVar(&g.redis.cluster, "redis-cluster", false, "--redis is a Redis Cluster seed list, even of one node; a comma-separated --redis is one anyway (env BATON_REDIS_CLUSTER)")
	pf.StringVar(&g.redis.master, "redis-master", "", "Redis Sentinel master name; --redis then lists the sentinels (env BATON_REDIS_MASTER)")
	pf.IntVar(&g.redis.wait.Replicas, "redis-wait-replicas", 0, "replicas that must acknowledge each commit (WAIT) before its jobs are published and its message acked; see docs/durability.md (env BATON_REDIS_WAIT_REPLICAS; default 0: none)")
	pf.BoolVar(&g.redis.wait.AOF, "redis-wait-aof", false, "wait until each commit is fsynced to the append-only file (WAITAOF, Redis 7.2+ with appendonly yes), on the master and on --redis-wait-replicas replicas (env BATON_REDIS_WAIT_AOF)")
	pf.DurationVar(&g.redis.wait.Timeout, "redis-wait-timeout", 0, "how long a commit waits for --redis-wait-replicas or --redis-wait-aof before it counts as not durable (env BATON_REDIS_WAIT_TIMEOUT; default 1s)")
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		path := g.configFile
		if path == "" {
			path = os.Getenv("BATON_CONFIG")
		}
		if path == "" {
			return nil
		}
		return applyConfigFile(cmd, path)
	}
	pf.StringVar(&g.api, "api", "", "do the work through this server's HTTP API, such as http://baton:8080, instead of NATS and Redis (env BATON_API_URL)")
	pf.StringVar(&g.token, "api-token", "", "the API's bearer token: what --api sends, and what baton server requires of /v1 requests (env BATON_API_TOKEN; default none)")
	pf.StringVar(&g.otlp, "otlp-endpoint", "", "OTLP/HTTP endpoint for OpenTelemetry traces of server, worker and dev, such as http://otel-collector:4318 (env OTEL_EXPORTER_OTLP_ENDPOINT; default none: no traces)")
	pf.StringSliceVar(&g.external, "external-types", nil, "task types whose service tasks are external tasks, as if modelled camunda:type=\"external\"; every server, worker and CLI call must agree (env BATON_EXTERNAL_TYPES)")
	root.AddCommand(newInstancesCommand(g), newJobsCommand(g), newSuspendCommand(g), newActivateCommand(g), newSuspensionsCommand(g), newTimersCommand(g), newIncidentsCommand(g), newDeadLettersCommand(g), newDevCommand(g), newServerCommand(g), newWorkerCommand(g), newDeployCommand(g),
		newStartCommand(g), newInstanceCommand(g), newTasksCommand(g), newCompleteCommand(g), newCorrelateCommand(g), newSignalCommand(g), newVarsCommand(g), newModifyCommand(g), newBenchCommand(g))
	return root
}

// logger builds the zap logger the flags ask for; logs go to stderr.
func (g *globals) logger() (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(g.logLevel)
	if err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	var cfg zap.Config
	if g.logJSON {
		cfg = zap.NewProductionConfig()
	} else {
		cfg = zap.NewDevelopmentConfig()
		cfg.DisableStacktrace = true
		cfg.EncoderConfig.EncodeTime = zapcore.TimeEncoderOfLayout(time.TimeOnly)
	}
	cfg.Level = zap.NewAtomicLevelAt(lvl)
	cfg.OutputPaths = []string{"stderr"}
	return cfg.Build()
}

// config is the SDK configuration from the flags and environment.
func (g *globals) config(log *zap.Logger) baton.Config {
	cfg := baton.Config{NATSURL: g.natsURL, RedisURL: g.redisURL, Prefix: g.prefix, Logger: log}
	g.apply(&cfg)
	cfg = baton.ConfigFromEnv(cfg)
	// The environment fills only zero fields: a flag given as 0 or false wins over it here.
	for name, set := range map[string]func(){
		"redis-cluster":       func() { cfg.RedisCluster = g.redis.cluster },
		"redis-wait-replicas": func() { cfg.Durability.Replicas = g.redis.wait.Replicas },
		"redis-wait-aof":      func() { cfg.Durability.AOF = g.redis.wait.AOF },
		"redis-wait-timeout":  func() { cfg.Durability.Timeout = g.redis.wait.Timeout },
	} {
		if g.flags != nil && g.flags.Changed(name) {
			set()
		}
	}
	return cfg
}

// apply sets the external task types and the credential and TLS settings of the flags on cfg.
func (g *globals) apply(cfg *baton.Config) {
	cfg.Engine.ExternalTaskTypes = g.external
	q := &cfg.Queue
	q.User, q.Password, q.Token, q.NKeySeedFile, q.CredsFile = g.nats.user, g.nats.password, g.nats.token, g.nats.nkey, g.nats.creds
	q.TLS = baton.TLSFiles{CA: g.nats.ca, Cert: g.nats.cert, Key: g.nats.key}
	cfg.RedisUser, cfg.RedisPassword = g.redis.user, g.redis.password
	cfg.RedisTLS = baton.TLSFiles{CA: g.redis.ca, Cert: g.redis.cert, Key: g.redis.key}
	cfg.RedisCluster, cfg.RedisMaster = g.redis.cluster, g.redis.master
	cfg.Durability = g.redis.wait
}

// connect dials NATS and Redis for a command.
func (g *globals) connect(ctx context.Context) (*baton.Client, *zap.Logger, error) {
	log, err := g.logger()
	if err != nil {
		return nil, nil, err
	}
	c, err := baton.Connect(ctx, g.config(log))
	if err != nil {
		return nil, nil, err
	}
	return c, log, nil
}

// outputFlag adds -o/--output with the given formats; the first is the default.
func outputFlag(cmd *cobra.Command, target *string, formats ...string) {
	cmd.Flags().StringVarP(target, "output", "o", formats[0], "output format: "+strings.Join(formats, " or "))
}

func checkOutput(value string, formats ...string) error {
	for _, f := range formats {
		if value == f {
			return nil
		}
	}
	return fmt.Errorf("--output %q: use %s", value, strings.Join(formats, " or "))
}

func stdout() *os.File { return os.Stdout }

// printJSON writes v to w as indented JSON: the -o json output of the commands.
func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// tracing sets up OpenTelemetry tracing for a long-running command when --otlp-endpoint or the
// OTEL_EXPORTER_OTLP_* variables ask for it, and returns the function that flushes its spans.
func (g *globals) tracing(ctx context.Context, cfg *baton.Config, service string) (func(), error) {
	tp, err := telemetry.NewTracerProvider(ctx, g.otlp, service)
	if err != nil || tp == nil {
		return func() {}, err
	}
	cfg.Engine.TracerProvider = tp
	return func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = tp.Shutdown(sctx)
	}, nil
}
