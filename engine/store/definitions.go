package store

import (
	"context"
	"fmt"
	"sort"
	"strconv"

	"github.com/redis/go-redis/v9"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/batonhq/baton/engine/model"
)

// Definitions live under the hash tag {defs}, so deploying touches one slot in Redis Cluster.
func (s *Store) defKey(key string) string { return s.prefix + "{defs}:def:" + key }
func (s *Store) defsKey() string          { return s.prefix + "{defs}:keys" }

// Deployed says what a deploy did with one process.
type Deployed struct {
	Key     string
	Version int
	// Unchanged is true when the same content was already deployed; nothing was written.
	Unchanged bool
}

// Deploy stores each definition as the next version of its key, unless the same content (by
// Definition.Hash) is already deployed. It sets Version on each definition.
func (s *Store) Deploy(ctx context.Context, defs []*model.Definition) ([]Deployed, error) {
	out := make([]Deployed, 0, len(defs))
	for _, d := range defs {
		dep, err := s.deployOne(ctx, d)
		if err != nil {
			return out, err
		}
		out = append(out, dep)
	}
	return out, nil
}

func (s *Store) deployOne(ctx context.Context, d *model.Definition) (Deployed, error) {
	for attempt := 0; attempt < 10; attempt++ {
		latest, err := s.LatestVersion(ctx, d.Key)
		if err != nil && err != ErrNotFound {
			return Deployed{}, err
		}
		d.Version = latest + 1
		blob, err := msgpack.Marshal(d)
		if err != nil {
			return Deployed{}, fmt.Errorf("encode definition %s: %w", d.Key, err)
		}
		res, err := s.evalPipe(ctx, deployScript, []string{s.defKey(d.Key), s.defsKey()},
			[]any{d.Key, d.Hash, blob, d.Version}, nil)
		if err != nil {
			return Deployed{}, fmt.Errorf("deploy %s: %w", d.Key, err)
		}
		switch str(res[0]) {
		case "OK":
			return Deployed{Key: d.Key, Version: d.Version}, nil
		case "EXISTS":
			d.Version = int(num(res[1]))
			return Deployed{Key: d.Key, Version: d.Version, Unchanged: true}, nil
		}
		// RACE: another deploy of the same key took the version; try the next one.
	}
	return Deployed{}, fmt.Errorf("deploy %s: too many concurrent deploys of the same key", d.Key)
}

// LatestVersion returns the newest deployed version of key, or ErrNotFound.
func (s *Store) LatestVersion(ctx context.Context, key string) (int, error) {
	v, err := s.rdb.HGet(ctx, s.defKey(key), "latest").Result()
	if err == redis.Nil {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("read latest version of %s: %w", key, err)
	}
	n, _ := strconv.Atoi(v)
	return n, nil
}

// VersionByHash returns the version of key deployed from the source with content hash hash
// (Definition.Hash: every process of one file shares it), or ErrNotFound.
func (s *Store) VersionByHash(ctx context.Context, key, hash string) (int, error) {
	v, err := s.rdb.HGet(ctx, s.defKey(key), "h:"+hash).Result()
	if err == redis.Nil {
		return 0, fmt.Errorf("%s from the source with hash %.12s: %w", key, hash, ErrNotFound)
	}
	if err != nil {
		return 0, fmt.Errorf("read version of %s by hash: %w", key, err)
	}
	n, _ := strconv.Atoi(v)
	return n, nil
}

// Definition loads one deployed version, linked and ready to run, or ErrNotFound.
func (s *Store) Definition(ctx context.Context, key string, version int) (*model.Definition, error) {
	b, err := s.rdb.HGet(ctx, s.defKey(key), "v:"+strconv.Itoa(version)).Bytes()
	if err == redis.Nil {
		return nil, fmt.Errorf("definition %s:%d: %w", key, version, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("load definition %s:%d: %w", key, version, err)
	}
	var d model.Definition
	if err := msgpack.Unmarshal(b, &d); err != nil {
		return nil, fmt.Errorf("decode definition %s:%d: %v: %w", key, version, err, ErrNotFound)
	}
	if err := d.Link(); err != nil {
		return nil, fmt.Errorf("definition %s:%d: %w", key, version, err)
	}
	return &d, nil
}

// ProcessKeys lists the keys of every deployed process, sorted.
func (s *Store) ProcessKeys(ctx context.Context) ([]string, error) {
	keys, err := s.rdb.SMembers(ctx, s.defsKey()).Result()
	if err != nil {
		return nil, fmt.Errorf("list process keys: %w", err)
	}
	sort.Strings(keys)
	return keys, nil
}
