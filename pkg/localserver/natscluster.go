package localserver

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// NATSCluster is a JetStream cluster of embedded NATS servers joined by routes: for tests of
// Baton on replicated (R3) streams and of losing a node.
type NATSCluster struct {
	// Nodes are the cluster's servers.
	Nodes []*NATS
	// URL is the clients' seed list of every node, comma-separated.
	URL string
}

// StartNATSCluster starts n embedded NATS servers with JetStream, each with its own store
// directory under dir, joined in one cluster, and waits until JetStream has a meta leader.
func StartNATSCluster(n int, dir string) (*NATSCluster, error) {
	if n < 1 {
		return nil, errors.New("nats cluster: want at least one node")
	}
	clientPorts, routePorts := make([]int, n), make([]int, n)
	for i := range n {
		var err error
		if clientPorts[i], err = freePort(); err != nil {
			return nil, err
		}
		if routePorts[i], err = freePort(); err != nil {
			return nil, err
		}
	}
	var routes []string
	for _, p := range routePorts {
		routes = append(routes, "nats-route://127.0.0.1:"+strconv.Itoa(p))
	}
	c := &NATSCluster{}
	var urls []string
	for i := range n {
		opts := &server.Options{
			ServerName: fmt.Sprintf("baton-%d", i),
			Host:       "127.0.0.1",
			Port:       clientPorts[i],
			JetStream:  true,
			StoreDir:   fmt.Sprintf("%s/node-%d", dir, i),
			NoSigs:     true,
			NoLog:      true,
			MaxPayload: 8 << 20,
			Cluster: server.ClusterOpts{Name: "baton", Host: "127.0.0.1", Port: routePorts[i],
				ConnectRetries: 30},
			Routes: server.RoutesFromStr(strings.Join(routes, ",")),
		}
		node := &NATS{opts: opts}
		if err := node.start(); err != nil {
			c.Shutdown()
			return nil, err
		}
		c.Nodes = append(c.Nodes, node)
		urls = append(urls, "nats://"+net.JoinHostPort("127.0.0.1", strconv.Itoa(clientPorts[i])))
	}
	c.URL = strings.Join(urls, ",")
	deadline := time.Now().Add(30 * time.Second)
	for {
		ready := true
		for _, node := range c.Nodes {
			if node.srv == nil || !node.srv.JetStreamIsCurrent() {
				ready = false
			}
		}
		if ready && c.Nodes[0].srv.JetStreamIsClustered() {
			return c, nil
		}
		if time.Now().After(deadline) {
			c.Shutdown()
			return nil, errors.New("nats cluster: JetStream not ready within 30s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Shutdown stops every node.
func (c *NATSCluster) Shutdown() {
	for _, node := range c.Nodes {
		node.Shutdown()
	}
}
