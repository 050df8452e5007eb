// Package baton is the Go SDK of Baton: connect to NATS and Redis, register delegates under
// task types, run a worker, deploy models and start instances. It is a thin, stable facade over
// the engine, queue and workers packages.
//
//	c, err := baton.Connect(ctx, baton.Config{NATSURL: "nats://nats:4222", RedisURL: "redis://redis:6379"})
//	c.Register("com.acme.Charge", baton.DelegateFunc(func(ctx context.Context, t *baton.Task) error {
//		t.SetVar("charged", true)
//		return nil
//	}))
//	err = c.RunWorker(ctx, baton.WorkerConfig{})
package baton

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/batonhq/baton/engine"
	"github.com/batonhq/baton/engine/bpmn"
	"github.com/batonhq/baton/engine/store"
	"github.com/batonhq/baton/queue"
	"github.com/batonhq/baton/workers"
)

// Re-exported types, so that delegates need only this package.
type (
	// Delegate is the code behind a task type. See engine.Delegate.
	Delegate = engine.Delegate
	// DelegateFunc adapts a function to Delegate.
	DelegateFunc = engine.DelegateFunc
	// Task is what a delegate sees of its activity. See engine.Task.
	Task = engine.Task
	// WorkerConfig configures RunWorker. See workers.Config for the defaults.
	WorkerConfig = workers.Config
	// EngineConfig configures leases, retries and the reconciler. See engine.Config.
	EngineConfig = engine.Config
	// QueueConfig configures streams and consumers. See queue.Config.
	QueueConfig = queue.Config
	// Durability makes Redis writes wait for replicas or AOF fsyncs. See store.Durability.
	Durability = store.Durability
	// StartRequest asks for a new instance. See engine.StartRequest.
	StartRequest = engine.StartRequest
	// StartResult says what a start did.
	StartResult = engine.StartResult
	// InstanceView is the readable form of an instance.
	InstanceView = engine.InstanceView
	// Deployed says what a deploy did with one process.
	Deployed = store.Deployed
	// BPMNError is a business error for an error boundary event. See engine.BPMNError.
	BPMNError = engine.BPMNError
)

// RetryAfter returns an error for a delegate to return: the attempt failed with err and runs
// again after d instead of the retry policy's wait (the attempt still counts).
func RetryAfter(d time.Duration, err error) error { return engine.RetryAfter(d, err) }

// FailNow returns an error for a delegate to return: the attempt failed with err and is not
// retried; the job raises an incident at once.
func FailNow(err error) error { return engine.FailNow(err) }

// NewBPMNError returns a BPMN error for a delegate to return: the activity is left through the
// error boundary event that catches code (or a catch-all one); no boundary raises an incident.
func NewBPMNError(code, message string) error { return engine.NewBPMNError(code, message) }

// Environment variables read by ConfigFromEnv.
const (
	EnvNATSURL  = "BATON_NATS_URL"
	EnvRedisURL = "BATON_REDIS_URL"
	EnvPrefix   = "BATON_PREFIX"
	// EnvExternalTypes is a comma-separated list of task types whose service tasks are
	// external tasks (engine.Config.ExternalTaskTypes). Every process that runs the engine
	// (servers, workers, the CLI) must agree on it.
	EnvExternalTypes = "BATON_EXTERNAL_TYPES"
	// Credentials and TLS files of NATS and Redis (see Config, QueueConfig).
	EnvNATSUser      = "BATON_NATS_USER"
	EnvNATSPassword  = "BATON_NATS_PASSWORD"
	EnvNATSToken     = "BATON_NATS_TOKEN"
	EnvNATSNKey      = "BATON_NATS_NKEY"
	EnvNATSCreds     = "BATON_NATS_CREDS"
	EnvNATSCA        = "BATON_NATS_CA"
	EnvNATSCert      = "BATON_NATS_CERT"
	EnvNATSKey       = "BATON_NATS_KEY"
	EnvRedisUser     = "BATON_REDIS_USER"
	EnvRedisPassword = "BATON_REDIS_PASSWORD"
	EnvRedisCA       = "BATON_REDIS_CA"
	EnvRedisCert     = "BATON_REDIS_CERT"
	EnvRedisKey      = "BATON_REDIS_KEY"
	// EnvRedisCluster ("true") and EnvRedisMaster set Config.RedisCluster and RedisMaster.
	EnvRedisCluster = "BATON_REDIS_CLUSTER"
	EnvRedisMaster  = "BATON_REDIS_MASTER"
	// EnvNATSReplicas sets Queue.Replicas, the streams' replica count.
	EnvNATSReplicas = "BATON_NATS_REPLICAS"
	// EnvRedisWaitReplicas, EnvRedisWaitAOF ("true") and EnvRedisWaitTimeout (a duration such as
	// "1s") set Durability.
	EnvRedisWaitReplicas = "BATON_REDIS_WAIT_REPLICAS"
	EnvRedisWaitAOF      = "BATON_REDIS_WAIT_AOF"
	EnvRedisWaitTimeout  = "BATON_REDIS_WAIT_TIMEOUT"
)

// Config says where NATS and Redis are. The zero value connects to both on localhost.
type Config struct {
	// NATSURL is the NATS URL or a comma-separated seed list. Default "nats://127.0.0.1:4222".
	NATSURL string
	// RedisURL is a redis:// or rediss:// URL. Default "redis://127.0.0.1:6379".
	RedisURL string
	// Prefix is prepended to every Redis key. Default "baton:".
	Prefix string
	// Engine configures leases, retries and the reconciler.
	Engine EngineConfig
	// Queue configures streams and consumers; its URL is taken from NATSURL.
	Queue QueueConfig
	// Logger receives structured logs. Default: no logging.
	Logger *zap.Logger
	// Redis, when set, is used instead of dialing RedisURL (a Cluster or Sentinel client, say).
	Redis redis.UniversalClient
	// RedisUser and RedisPassword authenticate to Redis (an ACL user; the password alone for
	// requirepass), instead of the URL's user info. Default none.
	RedisUser, RedisPassword string
	// RedisTLS names a CA bundle and a client certificate for TLS to Redis; with any of them the
	// connection uses TLS even on a redis:// URL. Default none.
	RedisTLS TLSFiles
	// RedisCluster treats RedisURL as the seed list of a Redis Cluster even when it names one
	// node. A comma-separated RedisURL is a cluster seed list anyway. Default false.
	RedisCluster bool
	// RedisMaster is the master name of a Redis Sentinel setup: RedisURL then lists the
	// sentinels. Default none.
	RedisMaster string
	// Durability makes the writes a failover must not lose wait for Redis replicas (WAIT) or
	// AOF fsyncs (WAITAOF) before they are published and acknowledged. Default: no waiting.
	// Connect refuses what the server cannot give. See docs/durability.md.
	Durability Durability

	// envErr holds the environment variables ConfigFromEnv could not parse.
	envErr error
}

// TLSFiles names the PEM files of a TLS connection: a CA bundle and a client certificate.
type TLSFiles = queue.TLSFiles

// ConfigFromEnv fills empty URL and prefix fields of c from BATON_NATS_URL, BATON_REDIS_URL and
// BATON_PREFIX, empty credential and TLS fields from BATON_NATS_* and BATON_REDIS_* (EnvNATSUser
// and the rest), a nil Engine.ExternalTaskTypes from BATON_EXTERNAL_TYPES, a zero
// Queue.Replicas from BATON_NATS_REPLICAS and zero Durability fields from BATON_REDIS_WAIT_*.
// Values that do not parse make Connect fail with an error naming the variable.
func ConfigFromEnv(c Config) Config {
	if c.NATSURL == "" {
		c.NATSURL = os.Getenv(EnvNATSURL)
	}
	if c.RedisURL == "" {
		c.RedisURL = os.Getenv(EnvRedisURL)
	}
	if c.Prefix == "" {
		c.Prefix = os.Getenv(EnvPrefix)
	}
	for _, f := range []struct {
		field *string
		env   string
	}{{&c.Queue.User, EnvNATSUser}, {&c.Queue.Password, EnvNATSPassword}, {&c.Queue.Token, EnvNATSToken},
		{&c.Queue.NKeySeedFile, EnvNATSNKey}, {&c.Queue.CredsFile, EnvNATSCreds}, {&c.Queue.TLS.CA, EnvNATSCA},
		{&c.Queue.TLS.Cert, EnvNATSCert}, {&c.Queue.TLS.Key, EnvNATSKey}, {&c.RedisUser, EnvRedisUser},
		{&c.RedisPassword, EnvRedisPassword}, {&c.RedisTLS.CA, EnvRedisCA}, {&c.RedisTLS.Cert, EnvRedisCert},
		{&c.RedisTLS.Key, EnvRedisKey}, {&c.RedisMaster, EnvRedisMaster}} {
		if *f.field == "" {
			*f.field = os.Getenv(f.env)
		}
	}
	if !c.RedisCluster {
		c.RedisCluster, _ = strconv.ParseBool(os.Getenv(EnvRedisCluster))
	}
	// A value that does not parse is kept as an error that Connect returns, naming the variable.
	envInt := func(field *int, name string) {
		if v := os.Getenv(name); *field == 0 && v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				c.envErr = errors.Join(c.envErr, fmt.Errorf("%s=%q: want a whole number >= 0", name, v))
			}
			*field = n
		}
	}
	envInt(&c.Queue.Replicas, EnvNATSReplicas)
	envInt(&c.Durability.Replicas, EnvRedisWaitReplicas)
	if v := os.Getenv(EnvRedisWaitAOF); !c.Durability.AOF && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			c.envErr = errors.Join(c.envErr, fmt.Errorf("%s=%q: want true or false", EnvRedisWaitAOF, v))
		}
		c.Durability.AOF = b
	}
	if v := os.Getenv(EnvRedisWaitTimeout); c.Durability.Timeout == 0 && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			c.envErr = errors.Join(c.envErr, fmt.Errorf("%s=%q: want a positive duration such as 1s", EnvRedisWaitTimeout, v))
		}
		c.Durability.Timeout = d
	}
	if c.Engine.ExternalTaskTypes == nil {
		for _, t := range strings.Split(os.Getenv(EnvExternalTypes), ",") {
			if t = strings.TrimSpace(t); t != "" {
				c.Engine.ExternalTaskTypes = append(c.Engine.ExternalTaskTypes, t)
			}
		}
	}
	return c
}

// Client is a connection to Baton's NATS and Redis with a local engine. Safe for concurrent use.
type Client struct {
	eng      *engine.Engine
	q        *queue.Queue
	rdb      redis.UniversalClient
	ownRedis bool
	log      *zap.Logger
}

// Connect dials NATS and Redis and checks that both answer.
func Connect(ctx context.Context, cfg Config) (*Client, error) {
	if cfg.envErr != nil {
		return nil, cfg.envErr
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.NATSURL == "" {
		cfg.NATSURL = "nats://127.0.0.1:4222"
	}
	if cfg.RedisURL == "" {
		cfg.RedisURL = "redis://127.0.0.1:6379"
	}
	rdb, own := cfg.Redis, false
	if rdb == nil {
		var err error
		if rdb, err = dialRedis(cfg); err != nil {
			return nil, err
		}
		own = true
	}
	if err := rdb.Ping(ctx).Err(); err != nil {
		if own {
			_ = rdb.Close()
		}
		return nil, fmt.Errorf("redis at %s: %w", RedactURL(cfg.RedisURL), err)
	}
	qc := cfg.Queue
	qc.URL = cfg.NATSURL
	q, err := queue.Connect(ctx, qc, cfg.Logger)
	if err != nil {
		if own {
			_ = rdb.Close()
		}
		return nil, err
	}
	st := store.New(rdb, store.Config{Prefix: cfg.Prefix, Durability: cfg.Durability})
	warning, err := st.CheckDurability(ctx)
	if err != nil {
		st.Close()
		q.Close()
		if own {
			_ = rdb.Close()
		}
		return nil, err
	}
	if warning != "" {
		cfg.Logger.Warn(warning)
	}
	return &Client{eng: engine.New(cfg.Engine, st, q, cfg.Logger), q: q, rdb: rdb, ownRedis: own, log: cfg.Logger}, nil
}

// Close drains NATS and closes Redis (unless Config.Redis was given).
func (c *Client) Close() {
	c.q.Close()
	c.eng.Store().Close()
	if c.ownRedis {
		_ = c.rdb.Close()
	}
}

// Engine is the client's engine, for what the facade does not cover.
func (c *Client) Engine() *engine.Engine { return c.eng }

// Register makes d the delegate of taskType in this process.
func (c *Client) Register(taskType string, d Delegate) { c.eng.Register(taskType, d) }

// DeployFile parses a BPMN file and deploys every process in it. A model with problems deploys
// nothing and the error lists each problem with file:line and element id.
func (c *Client) DeployFile(ctx context.Context, path string) ([]Deployed, error) {
	defs, err := bpmn.ParseFile(path)
	if err != nil {
		return nil, err
	}
	return c.eng.Deploy(ctx, defs)
}

// DeployBytes is DeployFile for a model in memory; source names it in error messages.
func (c *Client) DeployBytes(ctx context.Context, source string, data []byte) ([]Deployed, error) {
	defs, err := bpmn.Parse(source, data)
	if err != nil {
		return nil, err
	}
	return c.eng.Deploy(ctx, defs)
}

// Start creates an instance and runs it in this process up to its first boundary, calling any
// delegates registered here. A delegate error before the first boundary stores nothing.
func (c *Client) Start(ctx context.Context, req StartRequest) (StartResult, error) {
	if err := c.q.EnsureStreams(ctx); err != nil {
		return StartResult{}, err
	}
	return c.eng.Start(ctx, req)
}

// Instance reads an instance; the error wraps ErrNotFound for an unknown id.
func (c *Client) Instance(ctx context.Context, id string) (*InstanceView, error) {
	return c.eng.Instance(ctx, id)
}

// ErrNotFound is wrapped by errors about unknown instances and definitions.
var ErrNotFound = store.ErrNotFound

// IsNotFound reports whether err says an instance or definition does not exist.
func IsNotFound(err error) bool { return errors.Is(err, store.ErrNotFound) }

// RunWorker serves task types until ctx ends, then shuts down gracefully.
func (c *Client) RunWorker(ctx context.Context, cfg WorkerConfig) error {
	return workers.New(c.eng, cfg, c.log).Run(ctx)
}

// dialRedis builds the Redis client cfg asks for: one server (a redis:// or rediss:// URL), a
// Redis Cluster (a comma-separated seed list, or RedisCluster), or a Sentinel setup
// (RedisMaster, with the sentinels' URLs). Credentials and TLS come from the first URL, unless
// RedisUser, RedisPassword or RedisTLS are set.
func dialRedis(cfg Config) (redis.UniversalClient, error) {
	var first *redis.Options
	var addrs []string
	for _, u := range strings.Split(cfg.RedisURL, ",") {
		opts, err := redis.ParseURL(strings.TrimSpace(u))
		if err != nil {
			// Not wrapped: the parser's error quotes the URL, password and all.
			return nil, fmt.Errorf("redis url %s: want redis://[user:password@]host:port[/db] or rediss://..., or a comma-separated list of them", RedactURL(cfg.RedisURL))
		}
		if first == nil {
			first = opts
		}
		addrs = append(addrs, opts.Addr)
	}
	if cfg.RedisUser != "" || cfg.RedisPassword != "" {
		first.Username, first.Password = cfg.RedisUser, cfg.RedisPassword
	}
	if cfg.RedisTLS.Set() {
		tc, err := cfg.RedisTLS.Config()
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		if first.TLSConfig != nil {
			tc.ServerName = first.TLSConfig.ServerName
		}
		if tc.ServerName == "" {
			tc.ServerName, _, _ = net.SplitHostPort(first.Addr) // verify the certificate against the host
		}
		first.TLSConfig = tc
	}
	switch {
	case cfg.RedisMaster != "":
		return redis.NewFailoverClient(&redis.FailoverOptions{MasterName: cfg.RedisMaster, SentinelAddrs: addrs,
			Username: first.Username, Password: first.Password, DB: first.DB, TLSConfig: first.TLSConfig}), nil
	case cfg.RedisCluster || len(addrs) > 1:
		return redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, Username: first.Username, Password: first.Password,
			TLSConfig: first.TLSConfig}), nil
	}
	return redis.NewClient(first), nil
}
