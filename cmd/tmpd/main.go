package main

import (
	"context"
	"fmt"
	"os"

	"github.com/investigator/investigator/queries"
	"github.com/investigator/investigator/store"
)

func main() {
	ctx := context.Background()
	c, err := store.Open(ctx, os.Args[1], store.Options{ReadOnly: true})
	if err != nil {
		panic(err)
	}
	defer c.Close()
	for _, q := range os.Args[2:] {
		cols, rows, err := queries.Query(ctx, c.DB, q, 50)
		fmt.Println(cols, err)
		for _, r := range rows {
			fmt.Println(r...)
		}
	}
}
