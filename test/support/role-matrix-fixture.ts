/** The expected role matrix, shared by the authorize and access-control tests. */
import type { Action, Role } from '../../src/auth/roles';

/**
 * The policy, written out independently of ACTION_RULES: who may do what (admin may do
 * everything). A change to the rules must change this table too.
 */
export const EXPECTED_ROLES: Record<Action, readonly Role[]> = {
  'model.read': ['viewer', 'operator', 'approver', 'admin'],
  'run.read': ['viewer', 'operator', 'approver', 'admin'],
  'audit.read': ['viewer', 'operator', 'approver', 'admin'],
  'run.start': ['operator', 'admin'],
  'run.cancel': ['operator', 'admin'],
  'version.annotate': ['approver', 'admin'],
  'model.import': ['approver', 'admin'],
  'run.approve': ['approver', 'admin'],
  'run.reject': ['approver', 'admin'],
  'model.promote': ['approver', 'admin'],
  'model.rollback': ['approver', 'admin'],
  'alias.move': ['approver', 'admin'],
  'deployment.change': ['approver', 'admin'],
  predict: ['viewer', 'operator', 'approver', 'admin'],
  feedback: ['labeler', 'admin'],
  'predictions.log': ['labeler', 'admin'],
  'data.release': ['approver', 'admin'],
  'data.sweep': ['admin'],
  'schedule.manage': ['admin'],
  'schema.pin': ['admin'],
  'token.manage': ['admin'],
};
