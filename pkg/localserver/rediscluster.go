package localserver

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisCluster is a Redis Cluster of redis-server child processes on free loopback ports, one
// master each and no replicas: for tests of Baton on a real cluster.
type RedisCluster struct {
	// Nodes are the cluster's servers.
	Nodes []*Redis
	// Addrs are their host:port addresses, a seed list for redis.NewClusterClient.
	Addrs []string
}

// StartRedisCluster starts n (at least 3) redis-server processes with cluster mode on, joins
// them with redis-cli --cluster create (the hash slots spread evenly over them) and waits until
// every node reports the cluster ok. It returns ErrNoRedisServer when redis-server is missing.
func StartRedisCluster(ctx context.Context, n int) (*RedisCluster, error) {
	if n < 3 {
		return nil, fmt.Errorf("redis cluster: %d nodes: Redis Cluster needs at least 3 masters", n)
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		return nil, fmt.Errorf("redis cluster: redis-cli is missing (it joins the nodes): %w", err)
	}
	c := &RedisCluster{}
	for i := 0; i < n; i++ {
		r, err := StartRedis(ctx, RedisOptions{Args: []string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000"}})
		if err != nil {
			c.Stop()
			return nil, err
		}
		c.Nodes = append(c.Nodes, r)
		c.Addrs = append(c.Addrs, fmt.Sprintf("127.0.0.1:%d", r.port))
	}
	args := append([]string{"--cluster", "create"}, c.Addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.CommandContext(ctx, cli, args...).CombinedOutput(); err != nil {
		c.Stop()
		return nil, fmt.Errorf("redis-cli --cluster create: %w: %s", err, out)
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, r := range c.Nodes {
		rdb := r.Client()
		for {
			info, err := rdb.ClusterInfo(ctx).Result()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				_ = rdb.Close()
				c.Stop()
				return nil, errors.New("redis cluster: not ok within 30s")
			}
			time.Sleep(50 * time.Millisecond)
		}
		_ = rdb.Close()
	}
	return c, nil
}

// Client returns a new cluster client of the nodes; the caller closes it.
func (c *RedisCluster) Client() *redis.ClusterClient {
	return redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs})
}

// Stop kills every node and removes their directories.
func (c *RedisCluster) Stop() {
	for _, r := range c.Nodes {
		r.Stop()
	}
}
