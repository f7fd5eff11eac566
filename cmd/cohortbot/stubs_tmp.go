package main

import "context"

func runCmd(ctx context.Context, args []string, io stdio, env environ) error     { return nil }
func migrateCmd(ctx context.Context, args []string, io stdio, env environ) error { return nil }
func cohortCmd(ctx context.Context, args []string, io stdio, env environ) error  { return nil }
