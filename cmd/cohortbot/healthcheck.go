package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"time"

	"cohortbot/internal/config"
)

// healthcheckCmd asks the running bot's HTTP listener whether it is alive: the Docker
// HEALTHCHECK of an image with no curl. It exits 0 on 200 and 1 otherwise.
func healthcheckCmd(ctx context.Context, args []string, io stdio, env environ) error {
	fl := flag.NewFlagSet("healthcheck", flag.ContinueOnError)
	fl.SetOutput(io.err)
	path := fl.String("path", "/healthz", "endpoint to GET (/healthz or /readyz)")
	timeout := fl.Duration("timeout", 3*time.Second, "give up after this long")
	if err := fl.Parse(args); err != nil {
		return err
	}
	cfg, _ := config.Load(env.get) // only the address matters here
	url := "http://" + localAddr(cfg.HTTPAddr) + *path
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", url, resp.Status)
	}
	fmt.Fprintln(io.out, "ok")
	return nil
}

// localAddr turns a listen address into one to dial on this host (":8080" →
// "127.0.0.1:8080").
func localAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
