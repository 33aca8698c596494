# Not an F# script.
