export * from './token.service';
export * from './roles';
export * from './auth.module';
