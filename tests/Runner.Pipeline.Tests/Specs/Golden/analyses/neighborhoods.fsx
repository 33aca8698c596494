// Stands in for a hook script in the golden-spec test.
let run (ctx: obj) = ()
