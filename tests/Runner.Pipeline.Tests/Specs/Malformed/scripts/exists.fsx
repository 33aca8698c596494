// A hook script that exists, for the malformed-spec corpus.
let run (ctx: obj) = ()
