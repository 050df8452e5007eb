package localserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// StartRedisReplica starts a redis-server on a free port that replicates master
// (--replicaof), and waits until its link to the master is up and the initial sync is done.
// Kill and Restart it to take the replica away and bring it back; Stop removes it.
func StartRedisReplica(ctx context.Context, master *Redis) (*Redis, error) {
	// The master would wait 5s (repl-diskless-sync-delay) for more replicas before the first
	// sync; a test has one.
	mc := master.Client()
	err := mc.ConfigSet(ctx, "repl-diskless-sync-delay", "0").Err()
	_ = mc.Close()
	if err != nil {
		return nil, fmt.Errorf("redis master: %w", err)
	}
	r, err := StartRedis(ctx, RedisOptions{Args: []string{"--replicaof", "127.0.0.1", fmt.Sprint(master.port)}})
	if err != nil {
		return nil, err
	}
	if err := r.WaitReplicaLinked(ctx, 10*time.Second); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

// WaitReplicaLinked waits until this replica reports master_link_status:up, for at most d.
func (r *Redis) WaitReplicaLinked(ctx context.Context, d time.Duration) error {
	rdb := r.Client()
	defer rdb.Close()
	deadline := time.Now().Add(d)
	for {
		info, err := rdb.Info(ctx, "replication").Result()
		if err == nil && strings.Contains(info, "master_link_status:up") {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.New("the redis replica did not link to its master in time")
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}
