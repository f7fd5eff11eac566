// Package migrations embeds the versioned SQL schema, one folder per dialect. Each file is
// applied by goose in its own transaction; `cohortbot migrate` and start-up both run them.
package migrations

import "embed"

// FS holds postgres/*.sql and sqlite/*.sql.
//
//go:embed postgres/*.sql sqlite/*.sql
var FS embed.FS
