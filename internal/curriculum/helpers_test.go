package curriculum_test

import "io/fs"

func fsGlob(fsys fs.FS) ([]string, error) { return fs.Glob(fsys, "phases/*.yaml") }
