package localserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrNoRedisServer means redis-server is not on PATH.
var ErrNoRedisServer = errors.New("redis-server not found on PATH")

// RedisOptions configures StartRedis.
type RedisOptions struct {
	// Dir is the working directory of redis-server (it persists nothing: no RDB, no AOF).
	// Default: a new temporary directory, removed by Stop.
	Dir string
	// Binary is the redis-server executable. Default "redis-server" from PATH.
	Binary string
	// Args are more redis-server arguments, such as "--requirepass", "secret". Default none.
	Args []string
}

// Redis is a redis-server child process on a free port.
type Redis struct {
	cmd     *exec.Cmd
	dir     string
	tempDir bool
	bin     string
	args    []string
	port    int
	// URL is the client URL, e.g. redis://127.0.0.1:41234.
	URL string
}

// StartRedis starts redis-server on a free loopback port and waits until it answers PING. It
// returns ErrNoRedisServer when the binary is missing.
func StartRedis(ctx context.Context, o RedisOptions) (*Redis, error) {
	bin := o.Binary
	if bin == "" {
		bin = "redis-server"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, ErrNoRedisServer
	}
	r := &Redis{bin: path, dir: o.Dir, args: o.Args}
	if r.dir == "" {
		if r.dir, err = os.MkdirTemp("", "baton-redis-"); err != nil {
			return nil, fmt.Errorf("redis dir: %w", err)
		}
		r.tempDir = true
	}
	if r.port, err = freePort(); err != nil {
		return nil, err
	}
	r.URL = fmt.Sprintf("redis://127.0.0.1:%d", r.port)
	if err := r.start(ctx); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

func (r *Redis) start(ctx context.Context) error {
	r.cmd = exec.Command(r.bin, append([]string{"--port", strconv.Itoa(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir, "--daemonize", "no", "--loglevel", "warning"}, r.args...)...)
	dieWithParent(r.cmd)
	if err := r.cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port)})
	defer rdb.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		// A server that asks for a password answers too.
		if err := rdb.Ping(ctx).Err(); err == nil || strings.HasPrefix(err.Error(), "NOAUTH") {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("redis-server did not answer PING within 10s")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Kill stops redis-server with SIGKILL, as a crash would. Its data is lost (it persists none).
func (r *Redis) Kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
	}
}

// Restart kills redis-server and starts it again on the same port.
func (r *Redis) Restart(ctx context.Context) error {
	r.Kill()
	return r.start(ctx)
}

// Stop kills redis-server and removes its temporary directory.
func (r *Redis) Stop() {
	r.Kill()
	if r.tempDir {
		_ = os.RemoveAll(r.dir)
	}
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Client returns a new client of this server; the caller closes it.
func (r *Redis) Client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", r.port)})
}
