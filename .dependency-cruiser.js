/** Layer rules (ARCHITECTURE.md, house style 10): apps never import each other; domain imports no framework. */
module.exports = {
  forbidden: [
    {
      name: 'apps-are-independent',
      comment: 'An app talks to another only over NATS, through libs/contracts.',
      severity: 'error',
      from: { path: '^apps/([^/]+)/' },
      to: { path: '^apps/([^/]+)/', pathNot: '^apps/$1/' },
    },
    {
      name: 'libs-do-not-import-apps',
      severity: 'error',
      from: { path: '^libs/' },
      to: { path: '^apps/' },
    },
    {
      name: 'domain-is-pure',
      comment: 'libs/domain is pure code: no Nest, TypeORM, NATS, gRPC or other libs.',
      severity: 'error',
      from: { path: '^libs/domain/', pathNot: '\\.spec\\.ts$' },
      to: { path: '(^node_modules/(@nestjs|typeorm|nats|@grpc|pg|class-validator|class-transformer)/)|(^libs/(?!domain/))' },
    },
    {
      name: 'migrations-are-frozen',
      comment:
        'A migration runs the same text forever: it imports nothing but TypeORM. What is in force lives in apps/<service>/src/sql; a migration carries a copy of what it changes.',
      severity: 'error',
      from: { path: '^apps/[^/]+/src/migrations/', pathNot: '/index\\.ts$' },
      to: { pathNot: '(^|/)node_modules/typeorm/' },
    },
    {
      name: 'transports-hold-no-sql',
      comment:
        'Controllers (HTTP, NATS, gRPC) and the settle CLI are transports: they call use cases and never reach SQL themselves (SQL modules, sql/ and outputs/ sources, @vc/database). UnitOfWork, which this rule cannot tell apart within @vc/platform, is pinned by libs/platform/src/transports.spec.ts.',
      severity: 'error',
      from: { path: '^apps/[^/]+/src/(cli/|.*\\.controller\\.ts$)' },
      to: { path: '(\\.sql\\.ts$|\\.source\\.ts$|/src/sql/|/outputs/sources\\.ts$|^libs/database/)' },
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^dist/|\\.spec\\.ts$)' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
