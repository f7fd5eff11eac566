// Package content ships the curriculum tracks inside the binary.
package content

import (
	"embed"
	"io/fs"
)

//go:embed tracks
var tracks embed.FS

// DefaultTrack is the 93-day Node.js backend track.
const DefaultTrack = "nodejs-backend"

// Track returns the files of a shipped track (track.yaml at the root).
func Track(id string) (fs.FS, error) { return fs.Sub(tracks, "tracks/"+id) }
