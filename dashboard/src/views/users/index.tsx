// Users, their sessions, and roles (members, child roles, ACL). Tabs are sub-routes:
// users/ (the users) and users/roles[/:roleId].
import { NavLink, Route, Routes } from 'react-router'
import { useApp } from '../../appContext'
import { PageHeader } from '../../ui'
import { UsersTab } from './Users'
import { RolesTab } from './Roles'
import { usersPath } from './paths'
import './users.css'

export default function UsersView() {
  const base = usersPath(useApp().applicationId)
  return (
    <div className="users-view">
      <PageHeader title="Users & roles" />
      <nav className="tabs" aria-label="Users and roles">
        <NavLink to={base} end>
          Users
        </NavLink>
        <NavLink to={`${base}/roles`}>Roles</NavLink>
      </nav>
      <Routes>
        <Route index element={<UsersTab />} />
        <Route path="roles/:roleId?" element={<RolesTab />} />
      </Routes>
    </div>
  )
}
